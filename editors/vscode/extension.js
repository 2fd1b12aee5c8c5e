// The attend extension: highlighting comes from the grammars in syntaxes/ (package.json); this
// file starts `attend lsp` over standard input and output for .policy, .calendar and policy
// .toml files, and restarts it when the binary's path setting changes.
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

/// The binary named by the `attend.path` setting, with a leading `~` expanded (VS Code does not
/// run it through a shell).
function attendPath() {
  const configured = vscode.workspace.getConfiguration('attend').get('path') || 'attend';
  const home = process.env.HOME || process.env.USERPROFILE;
  return configured.startsWith('~') && home ? home + configured.slice(1) : configured;
}

async function start(context) {
  const command = attendPath();
  const server = { command, args: ['lsp'], transport: TransportKind.stdio };
  client = new LanguageClient(
    'attend',
    'attend',
    { run: server, debug: server },
    {
      documentSelector: [
        { scheme: 'file', language: 'attend-policy' },
        { scheme: 'file', language: 'attend-calendar' },
        // A policy in TOML: the server answers for those with a [policy] table.
        { scheme: 'file', language: 'toml', pattern: '**/*.toml' },
      ],
      synchronize: {
        fileEvents: vscode.workspace.createFileSystemWatcher('**/{attend.toml,*.calendar,*.md}'),
      },
    },
  );
  try {
    await client.start();
  } catch (error) {
    vscode.window.showErrorMessage(
      `attend: could not start \`${command} lsp\` (${error.message}). Install attend ` +
        '(`cargo install --locked --path .` in its repository) or set "attend.path" to the binary.',
    );
  }
  context.subscriptions.push(client);
}

async function activate(context) {
  await start(context);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (!event.affectsConfiguration('attend.path')) return;
      if (client) await client.stop();
      await start(context);
    }),
  );
}

async function deactivate() {
  if (client) await client.stop();
}

module.exports = { activate, deactivate };
