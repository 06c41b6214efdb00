// swift-tools-version: 6.1
import PackageDescription

// The pipeline is load → validate → emit → write; each stage is its own target so that
// its dependencies stay honest (emitters cannot touch the file system, the loader knows
// nothing of the model's rules). `KeywayCore` strings the stages together.
let package = Package(
    name: "keyway",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "keyway", targets: ["keyway"]),
        // The generator alone (init, validate, generate, check): what the build plugin runs. It
        // builds no database driver, TLS, OpenAPI or MCP.
        .executable(name: "keyway-generator", targets: ["keyway-generator"]),
        // A target's tools generated at build time from its own Manifests/ (and keyway.yaml).
        .plugin(name: "KeywayPlugin", targets: ["KeywayPlugin"]),
        // `swift package keyway generate …`: committed output, written into the package.
        .plugin(name: "KeywayCommand", targets: ["KeywayCommand"]),
        .library(name: "KeywayCore", targets: ["KeywayCore"]),
        // What apps link: the generated tools need it, and nothing else of keyway's.
        .library(name: "KeywayRuntime", targets: ["KeywayRuntime"]),
        // The server side of connections (webhooks → rows, lookups under RLS): apps that
        // only call tools do not link it, so they build no database driver.
        .library(name: "KeywayConnections", targets: ["KeywayConnections"]),
        // A ToolRegistry served to any agent over MCP (stdio, or a transport of the app's):
        // apps that only call tools do not link it, so they build no MCP.
        .library(name: "KeywayMCP", targets: ["KeywayMCP"]),
        // KeywayMCP over Streamable HTTP on Hummingbird: only apps that serve HTTP build an
        // HTTP server.
        .library(name: "KeywayMCPHTTP", targets: ["KeywayMCPHTTP"]),
    ],
    dependencies: [
        // The CLI.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Tests only: the reference Mustache implementation keyway's own template engine is
        // held to, byte for byte (the product renders with its own; it has one engine).
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        // `migrate apply/status` on SQLite (links the system libsqlite3).
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // `migrate apply/status/lint` on PostgreSQL, with TLS (Supabase requires it).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // HMAC-SHA256 of Nango's webhooks, in KeywayConnections (the server side, which
        // PostgresNIO makes build swift-crypto anyway). The generator and KeywayRuntime do
        // not depend on it: keyway's checksums are KeywayChecksum's.
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        // Already in the graph through PostgresNIO; named because keyway imports them
        // (TLS contexts for sslmode=require, a silenced logger).
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // `keyway tools lint/import`: reads providers' OpenAPI 3.0 and 3.1 documents (typed,
        // with $ref resolution and 3.0 → 3.1 conversion) to hold tool manifests against them.
        // Without its default trait ExternalLoading (loading `$ref`s to other files, which
        // keyway does not do): that code was most of OpenAPIKit's debug build, CI's longest
        // modules (the figures are in the commit that dropped it).
        .package(url: "https://github.com/mattpolzin/OpenAPIKit", from: "6.4.0", traits: []),
        // MCP (the protocol, its stdio transport and the Streamable HTTP session logic):
        // `KeywayMCP` serves tools to agents with the reference Swift SDK.
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        // The HTTP server under `KeywayMCPHTTP` (Streamable HTTP): small, async, on SwiftNIO.
        // Without its ConfigurationSupport trait (swift-configuration, which keyway does not
        // use: `keyway mcp --http` reads its options from the command line).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: ["FullFoundation"]),
        // JWTs of the team's identity provider (Clerk, Supabase Auth, any OIDC issuer) checked
        // against its JWKS by `keyway mcp --http` and apps embedding KeywayMCPHTTP: signature
        // algorithms and key formats are a library's job, not keyway's. Only KeywayMCPHTTP
        // links it (its swift-crypto and swift-certificates are in the graph already).
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        // Graceful shutdown of `keyway mcp --http` (sessions ended, then the server drained,
        // within a deadline). Already in the graph through Hummingbird.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // HTTP field names for KeywayMCPHTTP's headers (already in the graph through Hummingbird).
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // Tests only: a loopback HTTP server standing in for Nango's API (already in the
        // graph through PostgresNIO).
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // Tests only: a real Markdown parser to read the checklists back.
        .package(url: "https://github.com/JohnSundell/Ink", from: "0.6.0"),
    ],
    targets: [
        // A tool input's contract (types, formats, constraints, defaults, placement) and the
        // one interpreter of it: read by the generator and by the runtime of generated tools.
        .target(name: "KeywayContract"),
        // SHA-256 (migration checksums, keyway.sum) and XXH64 (.keyway-manifest), with no
        // dependency: what the generator hashes needs no cryptography library, whose
        // BoringSSL (TLS and X.509 code included) was most of a build plugin consumer's build.
        .target(name: "KeywayChecksum"),
        .target(name: "KeywayModel", dependencies: ["KeywayContract"]),
        // libyaml from the system (Debian's libyaml-dev): keyway composes its events itself
        // so that every node keeps file:line:column and aliases stay bounded.
        .systemLibrary(name: "CLibYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        // glibc's malloc.h (mallopt), for the commands' allocator settings; part of libc.
        .systemLibrary(name: "CMalloc"),
        .target(name: "KeywayLoad", dependencies: ["KeywayModel", "CLibYAML"]),
        .target(name: "KeywayValidate", dependencies: ["KeywayContract", "KeywayModel", "KeywayLoad"]),
        .target(
            name: "KeywayTemplates",
            path: "Templates",
            exclude: ["README.md"],
            resources: [
                .embedInCode("IntegrationCatalog.swift.mustache"),
                .embedInCode("catalog.json.mustache"),
                .embedInCode("postgres.migration.sql.mustache"),
                .embedInCode("sqlite.migration.sql.mustache"),
                .embedInCode("postgres.rls-tests.sql.mustache"),
                .embedInCode("Tools.swift.mustache"),
                .embedInCode("AllTools.swift.mustache"),
                .embedInCode("checklist.md.mustache"),
                .embedInCode("checklists-index.md.mustache"),
                .embedInCode("scopes.md.mustache"),
            ]
        ),
        .target(
            name: "KeywayEmit",
            dependencies: ["KeywayContract", "KeywayModel", "KeywayMigrations", "KeywayTemplates"]
        ),
        // The hash of each owned file in .keyway-manifest (XXH64; SHA-256 read in old records).
        .target(name: "KeywayFiles", dependencies: ["KeywayModel", "KeywayChecksum"]),
        // Tools held against a provider's OpenAPI document (`tools lint`), and tool entries
        // drafted from one (`tools import`). Pure: the CLI reads the file. YAML documents
        // are read by keyway's own loader (bounded), then decoded as JSON.
        .target(
            name: "KeywayOpenAPI",
            dependencies: [
                "KeywayContract",
                "KeywayModel",
                "KeywayLoad",
                .product(name: "OpenAPIKit", package: "OpenAPIKit"),
                .product(name: "OpenAPIKit30", package: "OpenAPIKit"),
                .product(name: "OpenAPIKitCompat", package: "OpenAPIKit"),
            ]
        ),
        // Migrations as data: the schema the manifests describe, diffs between two
        // states, the SQL of each dialect, the history's checksums. Pure, like emitters.
        .target(name: "KeywayMigrations", dependencies: ["KeywayModel", "KeywayChecksum"]),
        // The only code that talks to databases: apply, status, lint.
        .target(
            name: "KeywayDatabase",
            dependencies: [
                "KeywayContract", "KeywayModel", "KeywayMigrations",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // load → validate → emit → write strung together; no database (that is KeywayDatabase's).
        .target(name: "KeywayCore", dependencies: ["KeywayModel", "KeywayLoad", "KeywayValidate", "KeywayTemplates", "KeywayEmit", "KeywayFiles", "KeywayMigrations"]),
        // The commands that need no database, TLS, OpenAPI or MCP (init, validate, generate,
        // check, and their options and reporter): shared by `keyway` and `keyway-generator`.
        .target(
            name: "KeywayCommandLine",
            dependencies: [
                "KeywayModel", "KeywayLoad", "KeywayValidate", "KeywayEmit", "KeywayFiles", "KeywayMigrations", "KeywayCore", "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The full CLI: KeywayCommandLine's commands plus migrate, audit, tools and mcp.
        .executableTarget(
            name: "keyway",
            dependencies: [
                "KeywayContract", "KeywayModel", "KeywayLoad", "KeywayValidate", "KeywayEmit", "KeywayFiles", "KeywayMigrations", "KeywayCore",
                "KeywayCommandLine", "KeywayDatabase", "KeywayOpenAPI", "KeywayManifestTools", "KeywayMCP", "KeywayMCPHTTP", "KeywayNango",
                "KeywayConnections",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The light generator the build plugin runs: KeywayCommandLine only.
        .executableTarget(
            name: "keyway-generator",
            dependencies: ["KeywayModel", "KeywayCommandLine", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // A build command per target that adds it: keyway-generator on the target's own
        // keyway.yaml and Manifests/ (declared inputs), writing two Swift files of fixed names.
        .plugin(name: "KeywayPlugin", capability: .buildTool(), dependencies: ["keyway-generator"]),
        .plugin(
            name: "KeywayCommand",
            capability: .command(
                intent: .custom(verb: "keyway", description: "Runs keyway-generator (init, validate, generate, check) in the package's folder."),
                permissions: [.writeToPackageDirectory(reason: "keyway generate writes the generated files (Generated/ by default) into the package.")]
            ),
            dependencies: ["keyway-generator"]
        ),
        // The runtime of generated tools: Nango's proxy over URLSession, tool execution,
        // input contracts. Foundation only: no part of the generator, no cryptography.
        .target(name: "KeywayRuntime", dependencies: ["KeywayContract"]),
        // The connection lifecycle on PostgreSQL: Nango's auth webhooks written as the
        // server's role, tenants' connections looked up as the tenant (RLS decides).
        .target(name: "KeywayConnections", dependencies: [
            "KeywayContract", "KeywayRuntime",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // MCP over any transport: tools/list and tools/call of a ToolRegistry through a
        // ToolExecutor, tenants from an authenticator, limits per call and per tenant.
        .target(name: "KeywayMCP", dependencies: ["KeywayContract", "KeywayRuntime", .product(name: "MCP", package: "swift-sdk")]),
        // KeywayMCP over Streamable HTTP, on Hummingbird (its own target: see the product).
        .target(name: "KeywayMCPHTTP", dependencies: [
            "KeywayContract", "KeywayMCP",
            .product(name: "MCP", package: "swift-sdk"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Nango's management API (integrations, providers, connections, reconnect sessions),
        // the plan that brings an environment to the manifests (`keyway nango`), and
        // integrations started from Nango's providers (`keyway init --provider`).
        .target(name: "KeywayNango", dependencies: ["KeywayContract", "KeywayModel", "KeywayLoad", "KeywayRuntime"]),
        // Tools built at run time from validated manifests (`keyway mcp`, which cannot
        // compile the generated Swift): the emitters' JSON Schema, checks equivalent to the
        // generated validate(), requests by ToolRequest.standard.
        .target(name: "KeywayManifestTools", dependencies: ["KeywayContract", "KeywayModel", "KeywayRuntime"]),
        // The generated reference (like swift-openapi-generator's Petstore): the Swift of the
        // shipped manifests (Generated/, keyway's) and the hand-written builder of its
        // `request: custom` tool (Custom/), compiled for the tests only, so that a broken
        // emitter breaks the build. Apps get theirs from KeywayPlugin or `keyway generate`.
        .target(name: "KeywayReferenceTools", dependencies: ["KeywayRuntime"], path: "Tests/ReferenceTools"),
        // Swift generated from Tests/Fixtures/HostileManifests (hostile strings, keyword
        // names): compiled here, so an escaping bug breaks the build.
        .target(name: "KeywayHostileFixture", dependencies: ["KeywayRuntime"], path: "Tests/HostileGenerated/Swift"),
        // The tests run the `keyway` and `keyway-generator` binaries too, so they depend on them (SwiftPM then builds them first).
        .testTarget(name: "KeywayTests", dependencies: [
            "KeywayContract", "KeywayChecksum", "KeywayModel", "KeywayLoad", "KeywayValidate", "KeywayTemplates", "KeywayEmit", "KeywayFiles", "KeywayMigrations", "KeywayDatabase", "KeywayCore", "KeywayCommandLine", "KeywayReferenceTools", "KeywayRuntime", "KeywayConnections", "KeywayHostileFixture", "KeywayOpenAPI", "keyway", "keyway-generator",
            "KeywayMCP", "KeywayMCPHTTP", "KeywayManifestTools", "KeywayNango", .product(name: "MCP", package: "swift-sdk"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Ink", package: "Ink"),
            .product(name: "Mustache", package: "swift-mustache"),
        ]),
    ]
)
