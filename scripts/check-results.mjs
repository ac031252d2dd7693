// Refuses a dropped Result: an expression statement whose value is a
// neverthrow `Result` or `ResultAsync` (awaited or not), or a promise of one.
// Every port failure, store outage and protocol refusal comes back as a
// Result; ignoring one means an error nobody hears (a revocation that did
// not happen, say). Use the value, or discard it visibly with `void`.
//
//   node scripts/check-results.mjs
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = new URL('..', import.meta.url).pathname;

/** Every tsconfig of a workspace package (the test one where there is one), example and the bench. */
function projects() {
  const found = [];
  for (const group of ['packages', 'examples']) {
    for (const name of readdirSync(join(root, group))) {
      if (!statSync(join(root, group, name)).isDirectory()) continue;
      const tests = join(root, group, name, 'tsconfig.test.json');
      const path = join(root, group, name, 'tsconfig.json');
      if (ts.sys.fileExists(tests)) found.push(tests);
      else if (ts.sys.fileExists(path)) found.push(path);
    }
  }
  if (ts.sys.fileExists(join(root, 'bench', 'tsconfig.json')))
    found.push(join(root, 'bench', 'tsconfig.json'));
  return found;
}

/** True when `type` is neverthrow's Ok, Err or ResultAsync (or a union of them). */
function isResult(checker, type) {
  if (type.isUnion()) return type.types.some((member) => isResult(checker, member));
  const symbol = type.getSymbol() ?? type.aliasSymbol;
  if (symbol === undefined) return false;
  if (!['Ok', 'Err', 'ResultAsync'].includes(symbol.getName())) return false;
  return (symbol.getDeclarations() ?? []).some((d) => d.getSourceFile().fileName.includes('neverthrow'));
}

/** The type an expression statement leaves behind, looking through a promise. */
function droppedType(checker, expression) {
  const type = checker.getTypeAtLocation(expression);
  if (isResult(checker, type)) return type;
  const awaited = checker.getAwaitedType(type);
  if (awaited !== undefined && awaited !== type && isResult(checker, awaited)) return awaited;
  return undefined;
}

const problems = [];
const seen = new Set();
for (const config of projects()) {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    config,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic() {} },
  );
  if (parsed === undefined) continue;
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  const checker = program.getTypeChecker();
  for (const file of program.getSourceFiles()) {
    const name = file.fileName;
    if (name.includes('node_modules') || !name.startsWith(root) || seen.has(name)) continue;
    seen.add(name);
    const visit = (node) => {
      const expression = ts.isExpressionStatement(node) ? node.expression : undefined;
      const kept =
        expression === undefined ||
        ts.isVoidExpression(expression) ||
        // `result = read(...)`: stored, not dropped.
        (ts.isBinaryExpression(expression) && expression.operatorToken.kind === ts.SyntaxKind.EqualsToken);
      if (!kept) {
        const type = droppedType(checker, node.expression);
        if (type !== undefined) {
          const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
          problems.push(
            `${relative(root, name)}:${line + 1}: a ${checker.typeToString(type)} is dropped; use it, or write \`void\` to discard it`,
          );
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
}
for (const problem of problems) console.error(problem);
console.log(`${seen.size} files checked for dropped Results, ${problems.length} found`);
if (problems.length > 0) process.exit(1);
