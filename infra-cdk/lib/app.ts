/**
 * Builds the app: reads the context, the manifest and the artifact, adds the stack and
 * registers cdk-nag's AwsSolutions checks. Shared by bin/stepwise.ts (what `cdk` runs) and
 * the tests, so both synthesize the same thing.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readArtifact } from './artifact';
import { loadManifest } from './manifest';
import { readSettings } from './settings';
import { StepwiseStack } from './stepwise-stack';

export const STACK_NAME = 'Stepwise';

/**
 * The CDK feature flags this app is written for. They live here rather than in cdk.json
 * so the tests' `new App()` and the CLI's synth build the same template.
 */
export const FEATURE_FLAGS: Record<string, unknown> = {
  '@aws-cdk/core:checkSecretUsage': true,
  '@aws-cdk/core:target-partitions': ['aws', 'aws-cn'],
  // Server access logs delivered under a bucket policy, not the legacy LogDeliveryWrite ACL.
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
};

export interface Built {
  app: App;
  stack: StepwiseStack;
}

/** `context` adds to (and overrides) what `cdk` passes in the app's environment. */
export function buildApp(context: Record<string, unknown> = {}, outdir?: string): Built {
  const app = new App({ context: { ...FEATURE_FLAGS, ...context }, outdir });
  const settings = readSettings((key) => app.node.tryGetContext(key));
  const manifest = loadManifest(settings.generatedDir);
  const artifact = readArtifact(settings.artifactDir, settings.architecture);
  const stack = new StepwiseStack(app, STACK_NAME, {
    description: 'Stepwise: the generated Step Functions state machines, one Lambda per activity, data, schedule and alarms',
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    manifest,
    settings,
    artifact,
  });
  // cdk-nag 3 is a policy-validation plugin: any unacknowledged finding fails synth.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}
