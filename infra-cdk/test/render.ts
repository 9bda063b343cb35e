/**
 * Renders CloudFormation values with intrinsics as plain strings, so tests can compare
 * ARNs written by hand: `{"Ref": "AWS::Partition"}` → `${AWS::Partition}`, `{"Ref": X}`
 * → `${X}`, `{"Fn::GetAtt": [X, "Arn"]}` → `${X.Arn}`, `{"Fn::Join": ["", parts]}` →
 * the parts joined. Anything else is an error (the test should learn about it).
 */
export function render(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = v as Record<string, any>;
    if ('Ref' in o) return '${' + o.Ref + '}';
    if ('Fn::GetAtt' in o) return '${' + o['Fn::GetAtt'].join('.') + '}';
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'];
      return (parts as unknown[]).map(render).join(sep);
    }
  }
  throw new Error(`cannot render ${JSON.stringify(v)}`);
}

/** CloudFormation's DefinitionSubstitutions: `${Key}` → value, other text untouched. */
export function substitute(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{([^}]+)\}/g, (m, key: string) => (key in values ? values[key] : m));
}
