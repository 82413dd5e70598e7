"""A CDK app: the streaming function behind a REST API in STREAM mode and a function URL.

Run it with `cdk deploy` from the directory holding `src/` (app.py, requirements.txt with
bedrock-stream, and the executable wrapper written by `bedrock-stream init-wrapper src/`).
"""

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

TIMEOUT = cdk.Duration.minutes(5)


class StreamingStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)
        runtime = lambda_.Runtime.PYTHON_3_13
        function = lambda_.Function(
            self,
            "StreamFunction",
            runtime=runtime,
            handler="app.handler",
            # Dependencies installed next to the code; `cp -a` keeps the wrapper executable.
            code=lambda_.Code.from_asset(
                "src",
                bundling=cdk.BundlingOptions(
                    image=runtime.bundling_image,
                    command=[
                        "bash",
                        "-c",
                        "pip install -r requirements.txt -t /asset-output && cp -a . /asset-output",
                    ],
                ),
            ),
            memory_size=256,
            timeout=TIMEOUT,
            environment={
                # The managed bootstrap execs this file, which starts the streaming runtime.
                "AWS_LAMBDA_EXEC_WRAPPER": "/var/task/bedrock-stream",
                "BEDROCK_STREAM_DEADLINE_GUARD": "5",
            },
        )
        api = apigateway.RestApi(
            self,
            "Api",
            endpoint_types=[apigateway.EndpointType.REGIONAL],  # edge: a 30 s idle limit
            deploy_options=apigateway.StageOptions(stage_name="Prod"),
            cloud_watch_role=False,  # no account-wide API Gateway logging role
        )
        integration = apigateway.LambdaIntegration(
            function,
            response_transfer_mode=apigateway.ResponseTransferMode.STREAM,
            timeout=TIMEOUT,  # covers the function's timeout (at most 15 minutes)
        )
        api.root.add_resource("ask").add_method("POST", integration)
        url = function.add_function_url(
            auth_type=lambda_.FunctionUrlAuthType.AWS_IAM,
            invoke_mode=lambda_.InvokeMode.RESPONSE_STREAM,
        )
        cdk.CfnOutput(self, "FunctionUrl", value=url.url)


app = cdk.App()
StreamingStack(app, "BedrockStreamExample")
app.synth()
