// Lint rules that keep package boundaries honest (DESIGN.md §2).
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "apps/console/.next/**"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "no-restricted-imports": ["error", { patterns: ["@caravel/*/src/*"] }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // Plain CommonJS Node scripts copied into local/caravel-node-apps:1 and run as `node /app/<name>.js`
    // (no package.json there, so they must stay CommonJS; see scripts/build-images).
    files: ["universe/images/node-apps/**/*.js"],
    languageOptions: { sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
