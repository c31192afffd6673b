/**
 * The optional Python extension (ms-python.python): its active interpreter for a folder and
 * its interpreter-change event, through its public API. Everything here degrades to
 * "undefined" when the extension is missing, disabled or fails.
 */
import * as vscode from "vscode";

const PYTHON_EXTENSION_ID = "ms-python.python";

/** The subset of the Python extension's public API (`@vscode/python-extension`) djvet uses. */
interface EnvironmentPath {
  id: string;
  path: string;
}
interface ResolvedEnvironment {
  executable: { uri?: vscode.Uri };
}
interface PythonExtensionApi {
  environments: {
    getActiveEnvironmentPath(resource?: vscode.Uri): EnvironmentPath;
    resolveEnvironment(environment: EnvironmentPath | string): Promise<ResolvedEnvironment | undefined>;
    onDidChangeActiveEnvironmentPath: vscode.Event<unknown>;
  };
}

async function pythonApi(): Promise<PythonExtensionApi | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  if (!extension) {
    return undefined;
  }
  const api = extension.isActive ? extension.exports : await extension.activate();
  return api && typeof api.environments?.getActiveEnvironmentPath === "function" ? api : undefined;
}

export function hasPythonExtension(): boolean {
  return vscode.extensions.getExtension(PYTHON_EXTENSION_ID) !== undefined;
}

/** The active interpreter's executable for `resource`'s folder, or undefined. */
export async function activeInterpreter(resource: vscode.Uri | undefined, log: vscode.LogOutputChannel): Promise<string[] | undefined> {
  try {
    const api = await pythonApi();
    if (!api) {
      return undefined;
    }
    const environmentPath = api.environments.getActiveEnvironmentPath(resource);
    const environment = await api.environments.resolveEnvironment(environmentPath);
    const executable = environment?.executable.uri?.fsPath;
    return executable ? [executable] : undefined;
  } catch (error) {
    log.warn(`Could not ask the Python extension for the active interpreter: ${String(error)}`);
    return undefined;
  }
}

/** Subscribes to interpreter changes; a no-op disposable without the Python extension. */
export async function onDidChangeInterpreter(listener: () => void, log: vscode.LogOutputChannel): Promise<vscode.Disposable> {
  try {
    const api = await pythonApi();
    if (api) {
      return api.environments.onDidChangeActiveEnvironmentPath(() => listener());
    }
  } catch (error) {
    log.warn(`Could not watch the Python extension's interpreter: ${String(error)}`);
  }
  return new vscode.Disposable(() => undefined);
}
