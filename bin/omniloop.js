#!/usr/bin/env node
// The installed `omniloop` command: run the TypeScript CLI through tsx's loader, so the
// package ships its sources as they are (no build step between an edit and a robot).
import { register } from "tsx/esm/api";
register();
await import("../src/cli/main.ts");
