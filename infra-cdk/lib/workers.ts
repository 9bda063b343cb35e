/**
 * Activities served by `stepwise worker` (the `activityWorkers` context) instead of a Lambda
 * function: which manifest activities they are, the name of each one's Step Functions
 * Activity, and the IAM statements a worker needs to poll and answer it.
 *
 * The state machine needs no permission for an Activity Task: Step Functions schedules the
 * task itself, and IAM only authorizes the worker's calls. (CDK's own
 * `StepFunctionsInvokeActivity` adds no statement either, except KMS ones for an Activity
 * encrypted with a customer-managed key, which this stack does not use.)
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type { ActivitySpec, Manifest } from './manifest';
import { SettingsError } from './settings';

/**
 * The actions a worker calls on its Activity's tasks. GetActivityTask is authorized on the
 * Activity (resource type `activity`, required, in the Service Authorization Reference).
 */
export const WORKER_POLL_ACTIONS = ['states:GetActivityTask'] as const;

/**
 * The actions a worker answers a task with. The Service Authorization Reference lists no
 * resource type for them (the task token names the task), so they are granted on "*":
 * see WILDCARD_ALLOWED in stepwise-stack.ts.
 */
export const WORKER_ANSWER_ACTIONS = ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'] as const;

/**
 * The manifest activities `names` (the `activityWorkers` context) name, in manifest order.
 * An unknown name fails synth naming it and listing the activities there are; so does an
 * activity of an Express workflow (Express workflows do not support Activities).
 */
export function workerActivities(names: string[], manifest: Manifest): ActivitySpec[] {
  const known = manifest.activities.map((a) => a.name);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new SettingsError(
      `context "activityWorkers": ${unknown.map((n) => `"${n}"`).join(', ')} ${unknown.length === 1 ? 'is not an activity' : 'are not activities'} ` +
        `of manifest.json (its activities: ${[...known].sort().join(', ')})`,
    );
  }
  for (const name of names) {
    // Express workflows run Lambda, service integrations and SDK calls, but not Activities.
    const express = manifest.workflows.filter((w) => w.type === 'EXPRESS' && w.activities.includes(name));
    if (express.length > 0) {
      throw new SettingsError(
        `context "activityWorkers": "${name}" runs in the EXPRESS workflow${express.length === 1 ? '' : 's'} ${express.map((w) => `"${w.name}"`).join(', ')}, ` +
          'and Express workflows cannot run Step Functions Activities: leave it a Lambda function',
      );
    }
  }
  return manifest.activities.filter((a) => names.includes(a.name));
}

/**
 * The name of `activity`'s Step Functions Activity in the stack `stackName`:
 * `<stack>-<activity>`, which must satisfy CreateActivity's name rules (1 to 80
 * characters; no whitespace, brackets, wildcards, punctuation or control characters).
 */
export function activityName(stackName: string, activity: string): string {
  const name = `${stackName}-${activity}`;
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
    throw new SettingsError(
      `context "activityWorkers": the Activity name "${name}" (stack name - activity name) is not a valid Step Functions Activity name (1 to 80 letters, digits, _ and -)`,
    );
  }
  return name;
}

/** What a worker of the Activity `activityArn` needs besides the activity's own permissions. */
export function workerStatements(activityArn: string): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({ actions: [...WORKER_POLL_ACTIONS], resources: [activityArn] }),
    new iam.PolicyStatement({ actions: [...WORKER_ANSWER_ACTIONS], resources: ['*'] }),
  ];
}
