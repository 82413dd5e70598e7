// Prints the pinned ai package's UI_MESSAGE_STREAM_HEADERS as JSON.
// node ai_headers.mjs AI_PACKAGE_DIR
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const { UI_MESSAGE_STREAM_HEADERS } = await import(
  pathToFileURL(join(process.argv[2], "dist", "index.js")).href
);
process.stdout.write(JSON.stringify(UI_MESSAGE_STREAM_HEADERS));
