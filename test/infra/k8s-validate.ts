import { execFileSync } from "node:child_process";
import { join } from "node:path";
import ts from "typescript";
import { parseAllDocuments } from "yaml";

/**
 * Validation of Kubernetes objects against the API's own schemas, offline: the models of
 * `kubernetes-models` (the Kubernetes OpenAPI schemas) and `@kubernetes-models/keda` (KEDA's CRD
 * types), each object checked twice:
 * - `schemaProblems`: the JSON-schema validator the package generates with ajv — types, formats,
 *   required fields. Like the API server, it allows fields the schema does not name.
 * - `fieldProblems`: the same models' TypeScript types, which the compiler checks with its
 *   excess-property rule — every field at any depth must be one the schema names, which is what
 *   `kubectl apply --validate=strict` refuses and the schema validator lets through.
 */

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string };
  [field: string]: unknown;
}

/** `kubectl kustomize <dir>`: every object the directory applies, as the API server would get it. */
export function render(root: string, dir: string): K8sObject[] {
  const text = execFileSync("kubectl", ["kustomize", join(root, dir)], { encoding: "utf8" });
  return parseAllDocuments(text)
    .filter((doc) => doc.contents !== null)
    .map((doc) => {
      const problems = [...doc.errors, ...doc.warnings].map((e) => e.message);
      if (problems.length > 0) throw new Error(`kubectl kustomize ${dir}: ${problems.join("; ")}`);
      return doc.toJS() as K8sObject;
    });
}

export const describe = (o: K8sObject) => `${o.kind}/${o.metadata?.name ?? "?"}`;

/** The module of a kind's model: `kubernetes-models/apps/v1/Deployment`, `…/keda/keda.sh/v1alpha1/ScaledObject`. */
function modelModule(o: K8sObject): string {
  const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["", o.apiVersion];
  if (group === "keda.sh") return `@kubernetes-models/keda/keda.sh/${version}/${o.kind}`;
  return `kubernetes-models/${group === "" ? "" : `${group}/`}${version}/${o.kind}`;
}

/** One line per object that breaks its kind's JSON schema, or names a kind no schema describes. */
export async function schemaProblems(objects: readonly K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const o of objects) {
    let Model: new (data: unknown) => { validate(): void };
    try {
      const mod = (await import(modelModule(o))) as Record<string, typeof Model>;
      Model = mod[o.kind]!;
      if (typeof Model !== "function") throw new Error("no model");
    } catch {
      problems.push(`${describe(o)}: no schema for ${o.apiVersion} ${o.kind}`);
      continue;
    }
    try {
      new Model(o).validate();
    } catch (err) {
      problems.push(`${describe(o)}: ${(err as Error).message}`);
    }
  }
  return problems;
}

/**
 * One line per field, at any depth, that the object's schema does not name, or whose value has
 * the wrong type. `root` is where `node_modules` is found.
 */
export function fieldProblems(root: string, objects: readonly K8sObject[]): string[] {
  const file = join(root, "test/infra/__rendered_manifests__.ts");
  const starts: number[] = [];
  let source = "";
  objects.forEach((o, i) => {
    source += `import type { I${o.kind} as T${i} } from "${modelModule(o)}";\n`;
  });
  objects.forEach((o, i) => {
    starts.push(source.length);
    source += `export const o${i}: T${i} = ${JSON.stringify(o, null, 1)};\n`;
  });
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (f) => f === file || ts.sys.fileExists(f);
  host.readFile = (f) => (f === file ? source : readFile(f));
  host.getSourceFile = (f, language, ...rest) =>
    f === file ? ts.createSourceFile(f, source, language, true) : getSourceFile(f, language, ...rest);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const at = d.start ?? 0;
    let index = starts.length - 1;
    while (index > 0 && starts[index]! > at) index--;
    const where = d.file?.fileName === file && at >= starts[0]! ? describe(objects[index]!) : "import";
    const path = d.file?.fileName === file ? jsonPath(source, at, starts[index]!) : "";
    return `${where}${path}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
  });
}

/** The keys leading to `at` in the pretty-printed JSON of one object, for the problem's message. */
function jsonPath(source: string, at: number, start: number): string {
  const keys: string[] = [];
  const end = source.indexOf("\n", at);
  for (const line of source.slice(start, end === -1 ? undefined : end).split("\n")) {
    const [, indent, key] = /^( *)"([^"]+)":/.exec(line) ?? [];
    if (key === undefined) continue;
    keys.length = indent!.length - 1;
    keys[indent!.length - 1] = key;
  }
  const found = keys.filter((k) => k !== undefined);
  return found.length > 0 ? ` .${found.join(".")}` : "";
}
