/**
 * The CDK app `cdk synth` / `cdk deploy` run (cdk.json's "app"). A manifest, artifact or
 * context problem is reported as one line naming what to fix, and the app exits 1.
 */
import { ArtifactError } from '../lib/artifact';
import { buildApp } from '../lib/app';
import { ManifestError } from '../lib/manifest';
import { SettingsError } from '../lib/settings';

try {
  buildApp().app.synth();
} catch (e) {
  if (e instanceof ManifestError || e instanceof ArtifactError || e instanceof SettingsError) {
    process.stderr.write(`stepwise infra: ${e.message}\n`);
    process.exit(1);
  }
  throw e;
}
