// The TextMate grammars tokenised as VS Code tokenises them: every bundled policy and calendar
// (policies/, examples/) is read, and every keyword of grammar/policy.pest, date, time,
// percentage, string, comment and register code gets its scope; a few lines are checked token
// by token. Run with `npm test` in editors/vscode after `npm ci`.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { tokenise } = require('./tokenise.js');

const ROOT = path.join(__dirname, '..', '..', '..');

function bundled(dir, out = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) bundled(full, out);
    else if (/\.(policy|calendar)$/.test(entry.name)) out.push(full);
  }
  return out.sort();
}

const FILES = [...bundled(path.join(ROOT, 'policies')), ...bundled(path.join(ROOT, 'examples'))];

const scopeOf = (file) =>
  file.endsWith('.calendar') ? 'source.attend-calendar' : 'source.attend-policy';

/// The words grammar/policy.pest matches literally (`"policy"`, `^"below"`), read now so a
/// keyword added to the language fails this test until the grammar knows it.
function pestKeywords() {
  const pest = fs.readFileSync(path.join(ROOT, 'grammar', 'policy.pest'), 'utf8');
  const words = new Set();
  for (const line of pest.split('\n')) {
    if (line.trimStart().startsWith('//')) continue;
    for (const m of line.matchAll(/\^?"([a-z_]+)"/g)) words.add(m[1]);
  }
  return words;
}

const has = (token, scope) => token.scopes.some((s) => s === scope || s.startsWith(scope + '.'));
const inText = (token) => has(token, 'comment') || has(token, 'string');
const where = (file, line) => `${path.relative(ROOT, file)}:${line + 1}`;

const cache = new Map();
async function tokens(file) {
  if (!cache.has(file)) {
    cache.set(file, await tokenise(scopeOf(file), fs.readFileSync(file, 'utf8')));
  }
  return cache.get(file);
}

test('every bundled policy and calendar is found', () => {
  assert.ok(FILES.length >= 20, `${FILES.length} files`);
  assert.ok(FILES.some((f) => f.endsWith('.calendar')));
});

test('a line that starts with # is a comment to its end, and no other # outside a code set', async () => {
  for (const file of FILES) {
    (await tokens(file)).forEach((line, i) => {
      const text = line.map((t) => t.text).join('');
      if (text.trimStart().startsWith('#')) {
        for (const t of line.filter((t) => t.text.trim())) {
          assert.ok(has(t, 'comment.line.number-sign'), `${where(file, i)}: ${t.text}`);
        }
      }
      for (const t of line) {
        if (t.text.includes('#') && !inText(t)) {
          assert.ok(has(t, 'constant.other.register-code'), `${where(file, i)}: ${t.text} ${t.scopes}`);
        }
      }
    });
  }
});

test('every keyword of grammar/policy.pest outside strings and comments is a keyword', async () => {
  const keywords = pestKeywords();
  assert.ok(keywords.has('escalation') && keywords.has('below') && keywords.has('late_after'));
  const seen = new Set();
  for (const file of FILES) {
    (await tokens(file)).forEach((line, i) => {
      for (const t of line) {
        if (inText(t) || !keywords.has(t.text)) continue;
        seen.add(t.text);
        const ok = ['keyword', 'support.constant', 'support.type', 'support.function', 'constant.language', 'entity.name', 'variable.language']
          .some((s) => has(t, s));
        assert.ok(ok, `${where(file, i)}: keyword \`${t.text}\` scoped ${t.scopes.join(' ')}`);
      }
    });
  }
  // The bundled policies use most of the language: the test saw them.
  assert.ok(seen.size >= 60, `${seen.size} keywords seen`);
});

test('dates, times, percentages and money are whole tokens with their scope', async () => {
  const kinds = [
    [/\b\d{4}-\d{2}-\d{2}\b/, 'constant.numeric.date'],
    [/(?<![\d-])\d{1,2}:\d{2}\b/, 'constant.numeric.time'],
    [/(?<![\w.])\d{1,3}(?:\.\d+)?%/, 'constant.numeric.percentage'],
    [/£\d+/, 'constant.numeric.money'],
  ];
  const counts = new Map();
  for (const file of FILES) {
    (await tokens(file)).forEach((line, i) => {
      for (const t of line) {
        if (inText(t)) continue;
        for (const [pattern, scope] of kinds) {
          if (!pattern.test(t.text)) continue;
          counts.set(scope, (counts.get(scope) || 0) + 1);
          assert.ok(has(t, scope), `${where(file, i)}: \`${t.text}\` scoped ${t.scopes.join(' ')}`);
          assert.equal(t.text.match(pattern)[0], t.text.trim(), `${where(file, i)}: \`${t.text}\` not one token`);
        }
      }
    });
  }
  for (const [, scope] of kinds) assert.ok(counts.get(scope) > 0, `no ${scope} seen`);
});

test('every quote outside a comment opens or closes a string', async () => {
  for (const file of FILES) {
    (await tokens(file)).forEach((line, i) => {
      for (const t of line) {
        if (/["\u201c\u201d]/.test(t.text) && !has(t, 'comment')) {
          assert.ok(has(t, 'string'), `${where(file, i)}: ${t.text}`);
        }
      }
    });
  }
});

test('the codes of every code set are register codes', async () => {
  let sets = 0;
  for (const file of FILES) {
    (await tokens(file)).forEach((line, i) => {
      for (const t of line) {
        if (!has(t, 'meta.code-set')) continue;
        if (/^[A-Z][0-9]?$|^[/\\#]$/.test(t.text)) {
          assert.ok(has(t, 'constant.other.register-code'), `${where(file, i)}: ${t.text}`);
        } else {
          assert.match(t.text, /^[\s{},]*$/, `${where(file, i)}: \`${t.text}\` in a code set`);
        }
        if (t.text === '{') sets += 1;
      }
    });
  }
  assert.ok(sets >= 15, `${sets} code sets`);
});

/// The tokens of one line of text, without whitespace, as [text, innermost scope].
async function line(scope, text) {
  const [tokensOfLine] = await tokenise(scope, text);
  return tokensOfLine
    .filter((t) => t.text.trim())
    .map((t) => [t.text, t.scopes[t.scopes.length - 1]]);
}

test('statements token by token', async () => {
  const P = 'source.attend-policy';
  assert.deepEqual(await line(P, '    band persistent "Persistently Absent" < 90% stage facilitate'), [
    ['band', 'keyword.other.declaration.attend'],
    ['persistent', 'entity.name.type.band.attend'],
    ['"', 'punctuation.definition.string.begin.attend'],
    ['Persistently Absent', 'string.quoted.double.attend'],
    ['"', 'punctuation.definition.string.end.attend'],
    ['<', 'keyword.operator.comparison.attend'],
    ['90%', 'constant.numeric.percentage.attend'],
    ['stage', 'keyword.control.attend'],
    ['facilitate', 'support.constant.stage.attend'],
  ]);
  assert.deepEqual(await line(P, '  escalation "x" days marked {G, N, #} { # ten days'), [
    ['escalation', 'keyword.other.declaration.attend'],
    ['"', 'punctuation.definition.string.begin.attend'],
    ['x', 'string.quoted.double.attend'],
    ['"', 'punctuation.definition.string.end.attend'],
    ['days', 'keyword.control.attend'],
    ['marked', 'keyword.control.attend'],
    ['{', 'punctuation.definition.set.begin.attend'],
    ['G', 'constant.other.register-code.attend'],
    [',', 'punctuation.separator.attend'],
    ['N', 'constant.other.register-code.attend'],
    [',', 'punctuation.separator.attend'],
    ['#', 'constant.other.register-code.attend'],
    ['}', 'punctuation.definition.set.end.attend'],
    ['{', 'punctuation.section.block.attend'],
    ['#', 'punctuation.definition.comment.attend'],
    [' ten days', 'comment.line.number-sign.attend'],
  ]);
  assert.deepEqual(await line(P, '  define pa \u201cmiss \\\u201d10%\u201d when absence(rolling 6 school_weeks) >= 10% and pupil.fsm'), [
    ['define', 'keyword.other.declaration.attend'],
    ['pa', 'entity.name.function.definition.attend'],
    ['\u201c', 'punctuation.definition.string.begin.attend'],
    ['miss ', 'string.quoted.other.curly.attend'],
    ['\\\u201d', 'constant.character.escape.attend'],
    ['10%', 'string.quoted.other.curly.attend'],
    ['\u201d', 'punctuation.definition.string.end.attend'],
    ['when', 'keyword.control.attend'],
    ['absence', 'support.function.metric.attend'],
    ['(', 'punctuation.section.parens.attend'],
    ['rolling', 'support.constant.window.attend'],
    ['6', 'constant.numeric.integer.attend'],
    ['school_weeks', 'keyword.control.attend'],
    [')', 'punctuation.section.parens.attend'],
    ['>=', 'keyword.operator.comparison.attend'],
    ['10%', 'constant.numeric.percentage.attend'],
    ['and', 'keyword.operator.logical.attend'],
    ['pupil', 'variable.language.pupil.attend'],
    ['.fsm', 'variable.other.property.attend'],
  ]);
  assert.deepEqual(await line(P, '    band low "Below 96%- 94%" Below 96% - 94% read as 94% <.. 96%'), [
    ['band', 'keyword.other.declaration.attend'],
    ['low', 'entity.name.type.band.attend'],
    ['"', 'punctuation.definition.string.begin.attend'],
    ['Below 96%- 94%', 'string.quoted.double.attend'],
    ['"', 'punctuation.definition.string.end.attend'],
    ['Below', 'keyword.operator.word.attend'],
    ['96%', 'constant.numeric.percentage.attend'],
    ['-', 'keyword.operator.range.attend'],
    ['94%', 'constant.numeric.percentage.attend'],
    ['read', 'keyword.control.attend'],
    ['as', 'keyword.control.attend'],
    ['94%', 'constant.numeric.percentage.attend'],
    ['<..', 'keyword.operator.range.attend'],
    ['96%', 'constant.numeric.percentage.attend'],
  ]);
  assert.deepEqual(await line(P, '    day 3: letter three-day by attendance_lead, home_visit'), [
    ['day', 'keyword.control.attend'],
    ['3', 'constant.numeric.integer.attend'],
    [':', 'punctuation.separator.attend'],
    ['letter', 'support.function.action.attend'],
    ['three-day', 'variable.other.attend'],
    ['by', 'keyword.control.attend'],
    ['attendance_lead', 'variable.other.role.attend'],
    [',', 'punctuation.separator.attend'],
    ['home_visit', 'support.function.action.attend'],
  ]);
  assert.deepEqual(await line(P, '    fine \u00a380 within 21 days'), [
    ['fine', 'keyword.other.declaration.attend'],
    ['\u00a380', 'constant.numeric.money.attend'],
    ['within', 'keyword.control.attend'],
    ['21', 'constant.numeric.integer.attend'],
    ['days', 'keyword.control.attend'],
  ]);
});

test('a calendar file token by token', async () => {
  const C = 'source.attend-calendar';
  assert.deepEqual(await line(C, '  session am opens 08:55 late_after 09:15 closes 09:30'), [
    ['session', 'keyword.other.declaration.attend'],
    ['am', 'constant.language.session.attend'],
    ['opens', 'keyword.control.attend'],
    ['08:55', 'constant.numeric.time.attend'],
    ['late_after', 'keyword.control.attend'],
    ['09:15', 'constant.numeric.time.attend'],
    ['closes', 'keyword.control.attend'],
    ['09:30', 'constant.numeric.time.attend'],
  ]);
  assert.deepEqual(await line(C, '  term autumn 2024-09-04 .. 2024-12-20  # to Friday'), [
    ['term', 'keyword.other.declaration.attend'],
    ['autumn', 'entity.name.section.term.attend'],
    ['2024-09-04', 'constant.numeric.date.attend'],
    ['..', 'keyword.operator.range.attend'],
    ['2024-12-20', 'constant.numeric.date.attend'],
    ['#', 'punctuation.definition.comment.attend'],
    [' to Friday', 'comment.line.number-sign.attend'],
  ]);
  assert.deepEqual(await line(C, '  half_term 2025-02-17 to 2025-02-21 "spring half term"'), [
    ['half_term', 'keyword.other.declaration.attend'],
    ['2025-02-17', 'constant.numeric.date.attend'],
    ['to', 'keyword.control.attend'],
    ['2025-02-21', 'constant.numeric.date.attend'],
    ['"', 'punctuation.definition.string.begin.attend'],
    ['spring half term', 'string.quoted.double.attend'],
    ['"', 'punctuation.definition.string.end.attend'],
  ]);
});
