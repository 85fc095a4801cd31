import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCsv, formatCsvRow, parsePythonList, formatPythonList, pythonStringRepr } from "../../src/data";
import { InputError } from "../../src/util";

test("parseCsv: plain rows, trailing newline, empty cells", () => {
  const { rows, lines } = parseCsv("a,b,c\n1,,3\n,,\n", "x.csv");
  assert.deepEqual(rows, [
    ["a", "b", "c"],
    ["1", "", "3"],
    ["", "", ""],
  ]);
  assert.deepEqual(lines, [1, 2, 3]);
});

test("parseCsv: quoted commas, doubled quotes, embedded newlines move the line numbers", () => {
  const text = 'id,text\n1,"a, b"\n2,"say ""hi"""\n3,"two\nlines\nhere"\n4,end';
  const { rows, lines } = parseCsv(text, "x.csv");
  assert.deepEqual(rows, [
    ["id", "text"],
    ["1", "a, b"],
    ["2", 'say "hi"'],
    ["3", "two\nlines\nhere"],
    ["4", "end"],
  ]);
  assert.deepEqual(lines, [1, 2, 3, 4, 7]);
});

test("parseCsv: CRLF line ends (also inside quotes), BOM, no final newline", () => {
  const text = '\ufeffa,b\r\n"x\r\ny",2\r\n3,"4"';
  const { rows, lines } = parseCsv(text, "x.csv");
  assert.deepEqual(rows, [
    ["a", "b"],
    ["x\r\ny", "2"],
    ["3", "4"],
  ]);
  assert.deepEqual(lines, [1, 2, 4]);
});

test("parseCsv: blank lines are skipped but counted; trailing comma gives an empty last cell", () => {
  const { rows, lines } = parseCsv("a,b,\n\n\nc,d,\n", "x.csv");
  assert.deepEqual(rows, [
    ["a", "b", ""],
    ["c", "d", ""],
  ]);
  assert.deepEqual(lines, [1, 4]);
});

test("parseCsv: an empty quoted field and a lone quoted field", () => {
  assert.deepEqual(parseCsv('"",x\n""\n', "x.csv").rows, [["", "x"], [""]]);
});

test("parseCsv: unterminated quote is an InputError naming file and the opening line", () => {
  assert.throws(
    () => parseCsv('a,b\n1,2\n3,"never closed\nmore\n', "bad.csv"),
    (err: unknown) => {
      assert.ok(err instanceof InputError);
      assert.equal(err.file, "bad.csv");
      assert.equal(err.line, 3);
      assert.match(err.message, /bad\.csv \(line 3\).*unterminated/);
      return true;
    },
  );
});

test("parseCsv: text after a closing quote is an InputError with its line", () => {
  assert.throws(() => parseCsv('a\n"x"y,2\n', "bad.csv"), /bad\.csv \(line 2\).*after a closing quote/);
});

test("parseCsv: long input stays linear (100k multi-line quoted rows)", () => {
  const row = '1,"a ""quoted"" text,\nwith a newline",3\n';
  const { rows, lines } = parseCsv(row.repeat(100_000), "big.csv");
  assert.equal(rows.length, 100_000);
  assert.equal(lines[99_999], 2 * 99_999 + 1);
  assert.equal(rows[54_321][1], 'a "quoted" text,\nwith a newline');
});

test("formatCsvRow quotes only when needed and round-trips through parseCsv", () => {
  const cells = ["plain", "a,b", 'say "hi"', "two\nlines", "", null, 42, 1.5, " padded "];
  const line = formatCsvRow(cells);
  assert.equal(line, 'plain,"a,b","say ""hi""","two\nlines",,,42,1.5, padded '); // spaces need no quotes (Python csv)
  assert.deepEqual(parseCsv(line + "\n", "rt.csv").rows[0], ["plain", "a,b", 'say "hi"', "two\nlines", "", "", "42", "1.5", " padded "]);
  assert.equal(formatCsvRow([NaN, "x"]), ",x"); // NaN is a missing value
});

test("parsePythonList: ints, empty, strings with both quote styles and escapes", () => {
  assert.deepEqual(parsePythonList("[21, 12]", "t.csv"), [21, 12]);
  assert.deepEqual(parsePythonList("[]", "t.csv"), []);
  assert.deepEqual(parsePythonList("[ ]", "t.csv"), []);
  assert.deepEqual(parsePythonList("[7]", "t.csv"), [7]);
  assert.deepEqual(parsePythonList("[1,2,]", "t.csv"), [1, 2]);
  assert.deepEqual(parsePythonList("['rock', 'noise']", "t.csv"), ["rock", "noise"]);
  assert.deepEqual(parsePythonList(`["don't", 'say "x"', 'a\\'b', 'back\\\\slash']`, "t.csv"), [
    "don't",
    'say "x"',
    "a'b",
    "back\\slash",
  ]);
  assert.deepEqual(parsePythonList("['caf\\xe9', 'tab\\there', '\\u00fcber']", "t.csv"), ["café", "tab\there", "über"]);
  assert.deepEqual(parsePythonList("['a, b', 'c]']", "t.csv"), ["a, b", "c]"]);
  assert.deepEqual(parsePythonList("[-3, 2.5]", "t.csv"), [-3, 2.5]);
});

test("parsePythonList: malformed literals name file, line and column", () => {
  const where = { file: "tracks.csv", line: 17, column: "track.genres" };
  for (const bad of ["21, 12", "[21, 12", "[21 12]", "['open]", "[abc]", "[1] x", "['\\q']", ""]) {
    assert.throws(
      () => parsePythonList(bad, where),
      (err: unknown) => {
        assert.ok(err instanceof InputError, `not an InputError for ${bad}`);
        assert.match(err.message, /^tracks\.csv \(line 17, column track\.genres\): /);
        return true;
      },
      `no error for ${JSON.stringify(bad)}`,
    );
  }
});

test("formatPythonList writes FMA's text and round-trips", () => {
  assert.equal(formatPythonList([21, 12]), "[21, 12]");
  assert.equal(formatPythonList([]), "[]");
  assert.equal(formatPythonList(["a", "b"]), "['a', 'b']");
  assert.equal(formatPythonList(["don't"]), `["don't"]`); // Python switches quotes
  assert.equal(pythonStringRepr(`it's "x"`), `'it\\'s "x"'`);
  assert.equal(pythonStringRepr("a\nb\\"), "'a\\nb\\\\'");
  const values = ["rock", "don't", 'q"q', `both ' and "`, "new\nline", "back\\slash", "ünï"];
  assert.deepEqual(parsePythonList(formatPythonList(values), "rt"), values);
});
