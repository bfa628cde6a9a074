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
);
