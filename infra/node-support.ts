/**
 * Preloaded by the local entry points (`npm start`, `npm run soak`, the test runner); never bundled into a Lambda,
 * which runs nodejs22.x.
 *
 * Local use supports Node 20.19+, 22.12+ and 24+ (package.json `engines`; vitest and vite set the floor). Node 20
 * reached end of life in April 2026 but is still what many machines and CI images carry, so it keeps working.
 * On Node < 22 the AWS SDK for JavaScript v3 warns that its releases after January 2027 need Node 22: a
 * ten-line `process.emitWarning`, once per process that builds a client (the broker, every test worker). The
 * README states the Node policy once; the SDK's own switch turns its repetition off. An operator who sets the
 * variable to anything else still sees it.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
