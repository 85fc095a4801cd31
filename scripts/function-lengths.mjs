// Lists the functions of src/**/*.ts whose body spans more than a limit of lines (default 80), longest first.
//   node scripts/function-lengths.mjs [--limit N] [--all]     (--all: include src/data/synth/)
// A body's lines run from its opening brace to its closing one. Each function counts on its own (a callback
// inside it is also listed when it is long itself). A long function says why it is one piece in a leading
// comment with "One piece:" (tests/unit/function-lengths.test.ts allows at most 3 such outside the synthesiser).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const ts = require("typescript");
const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Marker a long function's leading comment carries, followed by the reason. */
export const ONE_PIECE_MARKER = "One piece:";

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

function nameOf(node, sf) {
  if (node.name) return node.name.getText(sf);
  if (ts.isConstructorDeclaration(node)) return "constructor";
  // const f = () => …, { run: async () => … }, { run(ctx) { … } }
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.name) {
    return parent.name.getText(sf);
  }
  return "(anonymous)";
}

/** The leading comments of a function, or of the statement/property that holds it. */
function leadingComments(node, sf) {
  const text = sf.getFullText();
  let holder = node;
  while (holder.parent && !ts.isSourceFile(holder.parent) && !ts.isBlock(holder.parent) && !ts.isObjectLiteralExpression(holder.parent) && !ts.isClassDeclaration(holder.parent)) {
    holder = holder.parent;
  }
  const ranges = [...(ts.getLeadingCommentRanges(text, holder.getFullStart()) ?? []), ...(ts.getLeadingCommentRanges(text, node.getFullStart()) ?? [])];
  // The first lines of the body count too (a comment right after the opening brace).
  if (node.body && ts.isBlock(node.body) && node.body.statements.length > 0) {
    ranges.push(...(ts.getLeadingCommentRanges(text, node.body.statements[0].getFullStart()) ?? []));
  }
  return ranges.map((r) => text.slice(r.pos, r.end)).join("\n");
}

/** The text after "One piece:" up to the end of its comment paragraph, or null. */
function reasonOf(comments) {
  const at = comments.indexOf(ONE_PIECE_MARKER);
  if (at < 0) return null;
  const lines = [];
  for (const line of comments.slice(at + ONE_PIECE_MARKER.length).split("\n")) {
    const text = line.replace(/\*\/.*$/, "").replace(/^\s*(\/\/|\*)?\s?/, "").trim();
    if (!text) break;
    lines.push(text);
    if (/\*\//.test(line)) break;
  }
  return lines.join(" ");
}

/** Every function of `file` with its body's line count. */
export function functionLengths(file) {
  const source = readFileSync(file, "utf8");
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const out = [];
  const visit = (node) => {
    if (ts.isFunctionLike(node) && node.body && ts.isBlock(node.body)) {
      const start = sf.getLineAndCharacterOfPosition(node.body.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.body.getEnd()).line;
      const comments = leadingComments(node, sf);
      out.push({
        file: relative(ROOT, file).replace(/\\/g, "/"),
        line: start + 1,
        name: nameOf(node, sf),
        lines: end - start + 1,
        reason: reasonOf(comments),
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** Functions over `limit` lines in src/ (without src/data/synth/ unless `all`), longest first. */
export function longFunctions({ limit = 80, all = false } = {}) {
  return walk(join(ROOT, "src"))
    .filter((f) => all || !relative(ROOT, f).replace(/\\/g, "/").startsWith("src/data/synth/"))
    .flatMap(functionLengths)
    .filter((f) => f.lines > limit)
    .sort((a, b) => b.lines - a.lines);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const i = args.indexOf("--limit");
  const limit = i >= 0 ? Number(args[i + 1]) : 80;
  const long = longFunctions({ limit, all: args.includes("--all") });
  for (const f of long) console.log(`${String(f.lines).padStart(4)}  ${f.file}:${f.line}  ${f.name}${f.reason ? `  (one piece: ${f.reason})` : ""}`);
  console.log(`${long.length} function(s) over ${limit} lines`);
}
