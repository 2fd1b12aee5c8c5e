#!/usr/bin/env bash
# Packages the extension as attend-<version>.vsix in this folder, with the npm registry's
# tooling (@vscode/vsce; version 3 runs on Node.js 20). Install the result with
#   code --install-extension attend-0.1.0.vsix
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npx --yes @vscode/vsce@3.9.2 package --allow-missing-repository --skip-license
