// Loads the extension's TextMate grammars with the engine VS Code uses (vscode-textmate on
// vscode-oniguruma) and tokenises text: each line as [{ text, scopes }].
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const oniguruma = require('vscode-oniguruma');
const textmate = require('vscode-textmate');

const SYNTAXES = path.join(__dirname, '..', 'syntaxes');
const FILES = {
  'source.attend-policy': 'attend-policy.tmLanguage.json',
  'source.attend-calendar': 'attend-calendar.tmLanguage.json',
};

let registry;

function load() {
  if (registry) return registry;
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  const ready = oniguruma.loadWASM(wasm.buffer).then(() => ({
    createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
    createOnigString: (text) => new oniguruma.OnigString(text),
  }));
  registry = new textmate.Registry({
    onigLib: ready,
    loadGrammar: async (scopeName) => {
      const file = FILES[scopeName];
      if (!file) return null;
      const full = path.join(SYNTAXES, file);
      return textmate.parseRawGrammar(fs.readFileSync(full, 'utf8'), full);
    },
  });
  return registry;
}

async function tokenise(scopeName, text) {
  const grammar = await load().loadGrammar(scopeName);
  if (!grammar) throw new Error(`no grammar for ${scopeName}`);
  let stack = textmate.INITIAL;
  const lines = [];
  for (const line of text.split('\n')) {
    const result = grammar.tokenizeLine(line, stack, 5000);
    if (result.stoppedEarly) throw new Error(`tokenising stopped early on: ${line}`);
    lines.push(
      result.tokens.map((t) => ({
        text: line.slice(t.startIndex, t.endIndex),
        scopes: t.scopes,
        start: t.startIndex,
      })),
    );
    stack = result.ruleStack;
  }
  return lines;
}

module.exports = { tokenise };
