// Lint: typescript-eslint's recommended rules, plus the habits STYLE.md asks for
// (no swallowed errors, no stray `any`).
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/**", "models/**", "docs/**", "dist/**", "**/*.py", ".gpu/**", ".gl/**"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-empty": ["error", { allowEmptyCatch: false }],
      "prefer-const": "error",
    },
  },
);
