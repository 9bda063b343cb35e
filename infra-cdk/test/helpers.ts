/**
 * Shared by the tests: a stand-in artifact directory, the app built on the real generated
 * manifest, and small readers of the synthesized template.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, type Built } from '../lib/app';
import { loadManifest, type Manifest } from '../lib/manifest';
import { REPO_ROOT } from '../lib/settings';

export const GENERATED_DIR = path.join(REPO_ROOT, 'statemachines', 'generated');

/** The real manifest `stepwise generate` wrote. */
export const MANIFEST: Manifest = loadManifest(GENERATED_DIR);

/** The activities that may be served by workers: those of no Express workflow. */
export function workerEligible(manifest: Manifest = MANIFEST): string[] {
  const express = new Set(manifest.workflows.filter((w) => w.type === 'EXPRESS').flatMap((w) => w.activities));
  return manifest.activities.map((a) => a.name).filter((n) => !express.has(n));
}

export function tempDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `stepwise-infra-${name}-`));
}

/**
 * A directory holding a file named `bootstrap` that starts with the ELF header of a
 * 64-bit little-endian executable for `arch` (what the app reads; the asset's content
 * only changes its hash). The real artifact is exercised by the CLI test.
 */
export function fakeArtifact(arch: 'arm64' | 'x86_64'): string {
  const dir = tempDir(`artifact-${arch}`);
  const header = Buffer.alloc(64);
  header.write('\x7fELF', 0, 'latin1');
  header[4] = 2; // ELFCLASS64
  header[5] = 1; // little-endian
  header[6] = 1; // version
  header.writeUInt16LE(2, 16); // ET_EXEC
  header.writeUInt16LE(arch === 'arm64' ? 183 : 62, 18);
  fs.writeFileSync(path.join(dir, 'bootstrap'), header, { mode: 0o755 });
  return dir;
}

const X86 = fakeArtifact('x86_64');

/** A copy of the generated directory with manifest.json (and maybe a definition) changed. */
export function editedGenerated(edit: (manifest: any) => void, definitions: Record<string, string> = {}): string {
  const dir = tempDir('generated');
  for (const f of fs.readdirSync(GENERATED_DIR)) fs.copyFileSync(path.join(GENERATED_DIR, f), path.join(dir, f));
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  edit(manifest);
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  for (const [f, text] of Object.entries(definitions)) fs.writeFileSync(path.join(dir, f), text);
  return dir;
}


export interface Synth extends Built {
  template: Template;
  json: any;
}

/** The app on the real manifest with `context` (default: an x86_64 stand-in artifact). */
export function synth(context: Record<string, unknown> = {}): Synth {
  const built = buildApp({ artifactDir: X86, ...context }, tempDir('out'));
  const template = Template.fromStack(built.stack);
  return { ...built, template, json: template.toJSON() };
}

export function resourcesOfType(json: any, type: string): Array<[string, any]> {
  return Object.entries(json.Resources as Record<string, any>).filter(([, r]) => r.Type === type);
}

/** The logical id of the Lambda function serving `activity`. */
export function functionId(json: any, activity: string): string {
  const found = resourcesOfType(json, 'AWS::Lambda::Function').filter(([, r]) => r.Properties.Handler === activity);
  if (found.length !== 1) throw new Error(`expected one function with handler ${activity}, found ${found.length}`);
  return found[0][0];
}

/** The logical id of the role `roleRef` ({Fn::GetAtt: [id, "Arn"]}) names. */
export function roleIdOf(roleRef: any): string {
  if (!roleRef?.['Fn::GetAtt'] || roleRef['Fn::GetAtt'][1] !== 'Arn') {
    throw new Error(`not a role reference: ${JSON.stringify(roleRef)}`);
  }
  return roleRef['Fn::GetAtt'][0];
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: any;
  Condition?: any;
}

/** Every statement of every AWS::IAM::Policy attached to role `roleId` (and its inline policies). */
export function roleStatements(json: any, roleId: string): Statement[] {
  const out: Statement[] = [];
  for (const [, policy] of resourcesOfType(json, 'AWS::IAM::Policy')) {
    const roles: any[] = policy.Properties.Roles ?? [];
    if (roles.some((r) => r?.Ref === roleId)) out.push(...policy.Properties.PolicyDocument.Statement);
  }
  for (const p of json.Resources[roleId].Properties.Policies ?? []) out.push(...p.PolicyDocument.Statement);
  return out;
}

export const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
export const resourcesOf = (s: Statement): any[] => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

/** A JSON-ish rendering of a template value with tokens, for messages and comparisons. */
export function show(v: unknown): string {
  return JSON.stringify(v);
}
