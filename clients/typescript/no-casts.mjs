// Fails when the hand-written TypeScript (src/, not the generated schema)
// escapes the generated types: `as` casts, `<T>x` assertions, non-null `!`
// assertions, or `any`. Uses the TypeScript compiler's own parser.
import { readdirSync, readFileSync } from "node:fs";
import ts from "typescript";

const escapes = {
  [ts.SyntaxKind.AsExpression]: "an `as` cast",
  [ts.SyntaxKind.TypeAssertionExpression]: "a <T> assertion",
  [ts.SyntaxKind.NonNullExpression]: "a non-null `!` assertion",
  [ts.SyntaxKind.AnyKeyword]: "`any`",
};
let found = 0;
const files = readdirSync("src").filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
for (const name of files) {
  const path = `src/${name}`;
  const source = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    const what = escapes[node.kind];
    // `as const` keeps a literal's type; it does not escape the types.
    const isConst = node.kind === ts.SyntaxKind.AsExpression && node.type.getText(source) === "const";
    if (what && !isConst) {
      const { line, character } = source.getLineAndCharacterOfPosition(node.getStart(source));
      console.error(`${path}:${line + 1}:${character + 1}: ${what}: ${node.getText(source)}`);
      found += 1;
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
if (found > 0) process.exit(1);
console.log(`no casts, no any: ${files.join(", ")}`);
