//go:build tools

// The bundler build-runtime uses for the validating child's V8 snapshot, pinned by go.mod.
package tools

import _ "github.com/evanw/esbuild/cmd/esbuild"
