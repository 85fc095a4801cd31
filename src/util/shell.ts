// Commands shown in messages must survive a copy-paste into a POSIX shell: every word is quoted when
// it holds anything but safe characters (spaces, quotes, $, ~, non-ASCII...).

/** One word for sh/bash/zsh: unchanged when plain, else in single quotes (a ' inside becomes '\''). */
export function shellQuote(word: string): string {
  if (word.length > 0 && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command line from its words, each quoted as needed: shellCommand(["fmalab", "train", "--data", dir]). */
export function shellCommand(words: ReadonlyArray<string | number>): string {
  return words.map((w) => shellQuote(String(w))).join(" ");
}
