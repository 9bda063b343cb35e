"""A suite written the way stepfunctions-local users write theirs: boto3 against
http://localhost:<port>, a mock config in AWS's documented format (SFN_MOCK_CONFIG),
test cases selected with `<stateMachineArn>#<TestCase>`, and the AWS CLI.

Run by scripts/serve-python-test.sh, which starts `stepwise serve` and sets
STEPWISE_ENDPOINT.
"""

import json
import os
import pathlib
import subprocess
import time
import unittest

import boto3
from botocore.config import Config

ENDPOINT = os.environ["STEPWISE_ENDPOINT"]
ROOT = pathlib.Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/DummyRole"


def deployed_definition():
    """example-orders as the CDK app deploys it: each ${Activity} a function ARN."""
    text = (ROOT / "statemachines/generated/example-orders.asl.json").read_text()
    for name in ("ValidateOrder", "PriceLine", "SummariseOrder"):
        text = text.replace("${%s}" % name, f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}")
    return text


def client(service):
    return boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id="dummy",
        aws_secret_access_key="dummy",
        # StartSyncExecution's "sync-" host prefix does not resolve for 127.0.0.1.
        config=Config(inject_host_prefix=False, retries={"max_attempts": 1}),
    )


ORDER = json.loads((ROOT / "statemachines/generated/example-orders.input.example.json").read_text())


class StepFunctionsLocalStyle(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sfn = client("stepfunctions")
        cls.arn = cls.sfn.create_state_machine(
            name="OrderPipeline", definition=deployed_definition(), roleArn=ROLE
        )["stateMachineArn"]

    def run_case(self, case, name):
        arn = self.sfn.start_execution(
            stateMachineArn=f"{self.arn}#{case}", name=name, input=json.dumps(ORDER)
        )["executionArn"]
        for _ in range(500):
            described = self.sfn.describe_execution(executionArn=arn)
            if described["status"] != "RUNNING":
                break
            time.sleep(0.02)
        history = self.sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        return described, history

    def test_state_machine_arn_is_in_the_configured_account_and_region(self):
        self.assertEqual(self.arn, f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:OrderPipeline")

    def test_happy_path(self):
        described, history = self.run_case("HappyPath", "happy")
        self.assertEqual(described["status"], "SUCCEEDED")
        self.assertEqual(json.loads(described["output"])["summary"]["total_cents"], 1350)
        entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
        self.assertEqual(entered[:3], ["ValidateOrder", "Large order?", "Price lines"])
        self.assertEqual(history[-1]["type"], "ExecutionSucceeded")

    def test_retry_path_retries_a_throttled_first_response(self):
        described, history = self.run_case("RetryPath", "retry")
        self.assertEqual(described["status"], "SUCCEEDED")
        failed = [e["taskFailedEventDetails"] for e in history if e["type"] == "TaskFailed"]
        self.assertEqual([f["error"] for f in failed], ["Lambda.TooManyRequestsException"])
        scheduled = [e for e in history if e["type"] == "TaskScheduled"]
        # ValidateOrder twice (the throttle, the retry), PriceLine once, SummariseOrder once.
        self.assertEqual(len(scheduled), 4)

    def test_caught_failure_takes_the_catch(self):
        described, history = self.run_case("CaughtFailure", "caught")
        self.assertEqual(described["status"], "FAILED")
        self.assertEqual(described["error"], "OrderRejected")
        types = [e["type"] for e in history]
        self.assertIn("FailStateEntered", types)
        self.assertNotIn("MapStateEntered", types)

    def test_a_failed_execution_is_redriven_from_the_state_that_failed(self):
        definition = {
            "StartAt": "Prepare",
            "States": {
                "Prepare": {"Type": "Pass", "Assign": {"customer.$": "$.customer"}, "Next": "Charge"},
                "Charge": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
                    "ResultSelector": {"cents.$": "$.charged_cents"},
                    "ResultPath": "$.charge",
                    "Next": "Receipt",
                },
                "Receipt": {
                    "Type": "Pass",
                    "Parameters": {"customer.$": "$customer", "cents.$": "$.charge.cents"},
                    "End": True,
                },
            },
        }
        machine = self.sfn.create_state_machine(
            name="ChargeCustomer", definition=json.dumps(definition), roleArn=ROLE
        )["stateMachineArn"]
        arn = self.sfn.start_execution(
            stateMachineArn=f"{machine}#DeclinedOnce", input=json.dumps({"customer": "c-7"})
        )["executionArn"]
        failed = self.wait(arn)
        self.assertEqual(failed["status"], "FAILED")
        self.assertEqual(failed["error"], "Payment.Declined")
        self.assertEqual(failed["redriveStatus"], "REDRIVABLE")
        self.assertEqual(failed["redriveCount"], 0)

        redrive = self.sfn.redrive_execution(executionArn=arn)
        self.assertIn("redriveDate", redrive)
        done = self.wait(arn)
        self.assertEqual(done["status"], "SUCCEEDED", done.get("cause"))
        self.assertEqual(done["redriveCount"], 1)
        self.assertEqual(done["redriveStatus"], "NOT_REDRIVABLE")
        self.assertEqual(done["redriveStatusReason"], "Execution is SUCCEEDED and cannot be redriven")
        # The variable Prepare assigned before the failure is in scope after the redrive.
        self.assertEqual(json.loads(done["output"]), {"customer": "c-7", "cents": 1350})

        events = self.sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        types = [e["type"] for e in events]
        at = types.index("ExecutionRedriven")
        self.assertEqual(types[at - 1], "ExecutionFailed")
        self.assertEqual(events[at]["executionRedrivenEventDetails"], {"redriveCount": 1})
        entered = [e["stateEnteredEventDetails"]["name"] for e in events[at:] if e["type"].endswith("StateEntered")]
        self.assertEqual(entered, ["Charge", "Receipt"], "Prepare is not run again")

        with self.assertRaises(self.sfn.exceptions.ExecutionNotRedrivable):
            self.sfn.redrive_execution(executionArn=arn)

    def wait(self, arn):
        for _ in range(500):
            described = self.sfn.describe_execution(executionArn=arn)
            if described["status"] != "RUNNING":
                return described
            time.sleep(0.02)
        self.fail(f"{arn} still running")

    def test_hybrid_path_runs_unmocked_states_on_the_real_activities(self):
        described, _ = self.run_case("HybridPath", "hybrid")
        self.assertEqual(described["status"], "SUCCEEDED", described.get("cause"))
        # 3 x 5.00 less the input's 10 % discount, by the real PriceLine and SummariseOrder.
        self.assertEqual(json.loads(described["output"])["summary"]["total_cents"], 1350)

    def test_unknown_test_case_is_refused(self):
        with self.assertRaises(self.sfn.exceptions.ClientError) as raised:
            self.sfn.start_execution(stateMachineArn=f"{self.arn}#NoSuchCase")
        self.assertEqual(raised.exception.response["Error"]["Code"], "ValidationException")

    def test_express_machine_runs_synchronously(self):
        arn = self.sfn.create_state_machine(
            name="Adder",
            type="EXPRESS",
            roleArn=ROLE,
            definition=json.dumps({"StartAt": "Add", "States": {"Add": {
                "Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.a, $.b)"}, "End": True}}}),
        )["stateMachineArn"]
        result = self.sfn.start_sync_execution(stateMachineArn=arn, input='{"a": 2, "b": 3}')
        self.assertEqual(result["status"], "SUCCEEDED")
        self.assertEqual(json.loads(result["output"]), {"sum": 5})

    def test_history_pages_with_boto3_paginator(self):
        described, history = self.run_case("HappyPath", "paged")
        pages = self.sfn.get_paginator("get_execution_history").paginate(
            executionArn=described["executionArn"], PaginationConfig={"PageSize": 3}
        )
        events = [e for page in pages for e in page["events"]]
        self.assertEqual([e["id"] for e in events], [e["id"] for e in history])

    def test_lambda_invoke_of_an_activity(self):
        lam = client("lambda")
        ok = lam.invoke(FunctionName="ValidateOrder", Payload=json.dumps(ORDER["order"]))
        self.assertEqual(ok["StatusCode"], 200)
        self.assertNotIn("FunctionError", ok)
        self.assertEqual(json.loads(ok["Payload"].read())["gross_cents"], 4900)
        bad = lam.invoke(FunctionName="ValidateOrder", Payload=b'{"order_id": 1}')
        self.assertEqual(bad["FunctionError"], "Unhandled")
        self.assertEqual(json.loads(bad["Payload"].read())["errorType"], "InvalidInput")


class ActivityWorker(unittest.TestCase):
    """A worker written with boto3: GetActivityTask, then SendTaskSuccess / SendTaskFailure."""

    @classmethod
    def setUpClass(cls):
        cls.sfn = client("stepfunctions")
        cls.activity = cls.sfn.create_activity(name="Approve")["activityArn"]
        definition = json.dumps({"StartAt": "Approve", "States": {
            "Approve": {"Type": "Task", "Resource": cls.activity, "HeartbeatSeconds": 60,
                        "Catch": [{"ErrorEquals": ["Refused"], "ResultPath": "$.refusal", "Next": "Refused"}],
                        "ResultPath": "$.approval", "End": True},
            "Refused": {"Type": "Pass", "End": True}}})
        cls.machine = cls.sfn.create_state_machine(
            name="Approval", definition=definition, roleArn=ROLE)["stateMachineArn"]

    def finished(self, arn):
        for _ in range(500):
            described = self.sfn.describe_execution(executionArn=arn)
            if described["status"] != "RUNNING":
                return described
            time.sleep(0.02)
        self.fail(f"{arn} still running")

    def poll(self, worker):
        task = self.sfn.get_activity_task(activityArn=self.activity, workerName=worker)
        self.assertIn("taskToken", task)
        return task

    def test_a_worker_completes_the_task_with_send_task_success(self):
        arn = self.sfn.start_execution(stateMachineArn=self.machine, input='{"amount": 5}')["executionArn"]
        task = self.poll("boto3-worker")
        self.assertEqual(json.loads(task["input"]), {"amount": 5})
        self.sfn.send_task_heartbeat(taskToken=task["taskToken"])
        self.sfn.send_task_success(taskToken=task["taskToken"], output='{"ok": true}')
        described = self.finished(arn)
        self.assertEqual(described["status"], "SUCCEEDED")
        self.assertEqual(json.loads(described["output"]), {"amount": 5, "approval": {"ok": True}})
        with self.assertRaises(self.sfn.exceptions.TaskTimedOut):
            self.sfn.send_task_success(taskToken=task["taskToken"], output="{}")

    def test_send_task_failure_is_caught(self):
        arn = self.sfn.start_execution(stateMachineArn=self.machine, input='{"amount": 9}')["executionArn"]
        task = self.poll("boto3-worker")
        self.sfn.send_task_failure(taskToken=task["taskToken"], error="Refused", cause="too much")
        described = self.finished(arn)
        self.assertEqual(described["status"], "SUCCEEDED")
        self.assertEqual(json.loads(described["output"])["refusal"], {"Error": "Refused", "Cause": "too much"})

    def test_an_unknown_token_is_task_does_not_exist(self):
        with self.assertRaises(self.sfn.exceptions.TaskDoesNotExist):
            self.sfn.send_task_success(taskToken="AQnot-issued", output="{}")


class AwsCli(unittest.TestCase):
    """The AWS CLI against the same server."""

    def aws(self, *args):
        env = dict(os.environ, AWS_ACCESS_KEY_ID="dummy", AWS_SECRET_ACCESS_KEY="dummy",
                   AWS_DEFAULT_REGION=REGION)
        done = subprocess.run(["aws", "--endpoint-url", ENDPOINT, *args, "--output", "json"],
                              capture_output=True, text=True, env=env, timeout=60)
        return done

    def test_cli_life_cycle(self):
        definition = json.dumps({"StartAt": "Hello", "States": {"Hello": {
            "Type": "Pass", "Result": "world", "ResultPath": "$.hello", "End": True}}})
        created = self.aws("stepfunctions", "create-state-machine", "--name", "CliMachine",
                           "--definition", definition, "--role-arn", ROLE)
        self.assertEqual(created.returncode, 0, created.stderr)
        arn = json.loads(created.stdout)["stateMachineArn"]
        started = self.aws("stepfunctions", "start-execution", "--state-machine-arn", arn,
                           "--input", '{"from": "cli"}')
        self.assertEqual(started.returncode, 0, started.stderr)
        execution = json.loads(started.stdout)["executionArn"]
        for _ in range(100):
            described = json.loads(self.aws("stepfunctions", "describe-execution",
                                            "--execution-arn", execution).stdout)
            if described["status"] != "RUNNING":
                break
            time.sleep(0.05)
        self.assertEqual(described["status"], "SUCCEEDED")
        self.assertEqual(json.loads(described["output"]), {"from": "cli", "hello": "world"})
        listed = json.loads(self.aws("stepfunctions", "list-state-machines").stdout)
        self.assertIn(arn, [m["stateMachineArn"] for m in listed["stateMachines"]])

    def test_cli_error_names_the_aws_error(self):
        missing = self.aws("stepfunctions", "describe-execution", "--execution-arn",
                           f"arn:aws:states:{REGION}:{ACCOUNT}:execution:None:none")
        self.assertNotEqual(missing.returncode, 0)
        self.assertIn("ExecutionDoesNotExist", missing.stderr)

    def test_cli_lambda_invoke(self):
        out = pathlib.Path(os.environ.get("TMPDIR", "/tmp")) / f"invoke-{os.getpid()}.json"
        done = self.aws("lambda", "invoke", "--function-name", "ValidateOrder",
                        "--payload", json.dumps(ORDER["order"]), str(out))
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(json.loads(out.read_text())["gross_cents"], 4900)
        out.unlink()


if __name__ == "__main__":
    unittest.main()
