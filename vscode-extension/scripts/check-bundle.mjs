// Refuses to package a .vsix without the bundled djvet copy (run `npm run build` first).
import { existsSync } from "fs";

const required = ["bundled/libs.zip", "bundled/libs.zip.sha256", "bundled/tool/server.py", "dist/extension.js"];
const missing = required.filter((file) => !existsSync(file));
if (missing.length > 0) {
  console.error(`Missing ${missing.join(", ")}: run \`npm run build\` before packaging.`);
  process.exit(1);
}
