// The Hostplan extension: starts `hostplan lsp` for .hplan files and restarts it on request.
//
// Everything the editor shows (diagnostics, hover, completion, navigation, formatting,
// quick fixes, inlay hints) comes from the language server, which runs the same analysis as
// `hostplan check`; this file only starts it.

import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from "vscode-languageclient/node";

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand("hostplan.restartServer", async () => {
      await stop();
      await start(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("hostplan.server.path")) {
        await stop();
        await start(context);
      }
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await stop();
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const command = vscode.workspace.getConfiguration("hostplan").get<string>("server.path") || "hostplan";
  const serverOptions: ServerOptions = {
    run: { command, args: ["lsp"], transport: TransportKind.stdio },
    debug: { command, args: ["lsp"], transport: TransportKind.stdio },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "hostplan" }],
    synchronize: {
      // Plans import other plan files: tell the server when one changes on disk.
      fileEvents: vscode.workspace.createFileSystemWatcher("**/*.hplan"),
    },
  };
  client = new LanguageClient("hostplan", "Hostplan", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (error) {
    client = undefined;
    const message = error instanceof Error ? error.message : String(error);
    void vscode.window.showErrorMessage(
      `Hostplan: cannot start \`${command} lsp\` (${message}). Install hostplan or set "hostplan.server.path".`,
    );
  }
  if (client) {
    context.subscriptions.push(client);
  }
}

async function stop(): Promise<void> {
  if (client) {
    const running = client;
    client = undefined;
    await running.stop();
  }
}
