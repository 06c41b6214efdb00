import KeywayModel

/// What `keyway init` writes: a commented `keyway.yaml` with every key at its default,
/// and one integration, connector and scope catalog that validate and generate, to edit
/// or copy. Pure: the CLI writes them, and refuses to replace any file already there.
public enum ProjectScaffold {
    /// The files, paths relative to the project folder.
    public static func files(manifests: String = "Manifests") -> [GeneratedFile] {
        [
            GeneratedFile(path: ProjectConfig.fileName, contents: config(manifests: manifests)),
            GeneratedFile(path: ProjectConfig.join(manifests, "integrations/linear.yaml"), contents: integration),
            GeneratedFile(path: ProjectConfig.join(manifests, "connectors/linear.yaml"), contents: connector),
            GeneratedFile(path: ProjectConfig.join(manifests, "scopes/linear.yaml"), contents: scopes),
        ]
    }

    /// The commented `keyway.yaml`.
    public static func config(manifests: String) -> String {
        """
        # keyway's project configuration: everything that is not a manifest. Every key is
        # optional (the values below are the defaults); a key keyway does not know is an error.
        # Paths are relative to this file's folder. Flags on the command line win.

        # The integration, connector and scope-catalog manifests.
        manifests: \(YAMLText.scalar(manifests))

        # Where `keyway generate` writes, and `keyway check` compares.
        output: Generated

        # What `keyway generate` writes:
        #   swift       IntegrationCatalog.swift and the tool stubs (compile them with KeywayRuntime)
        #   catalog     catalog.json, the same catalog for code that is not Swift
        #   checklists  Checklists/<integration>.md, the OAuth app set-up of each provider
        #   audit       scopes.md, every granted scope with its level and the tools that need it
        #   migrations  the pgTAP tests of the policies (`keyway migrate diff` writes migrations)
        artifacts: [swift, catalog, checklists, audit, migrations]

        # A folder of templates replacing the built-in ones of the same name (keyway's
        # Templates/README.md lists them). Absent: the built-in templates.
        # templates: Templates

        swift:
          # Where the Swift goes; absent: <output>/Swift. Put it in a target's folder to
          # compile it there, with your hand-written `request: custom` builders beside it.
          # output: Sources/App/Generated
          # per-connector (Tools/<Connector>.swift), or single-file (Tools.swift).
          layout: per-connector

        migrations:
          # The dialects `keyway migrate diff` writes: postgres, sqlite.
          dialects: [postgres, sqlite]
          # keyway (<output>/Migrations/<dialect>/NNNN_name.sql), or supabase (also a copy of
          # each PostgreSQL migration in supabase_output, named as the Supabase CLI expects).
          layout: keyway
          supabase_output: supabase/migrations

        # Where the tenant of a database request is read from the JWT claims (Supabase puts
        # them in request.jwt.claims): the first claim present wins.
        tenancy:
          user_claims: [sub]
          # The organisation, owner of shared connections; none present: the user owns them.
          organization_claims: [o.id, org_id]

        """
    }

    static let integration = """
        # An integration: one OAuth app at a provider, as Nango connects it.
        # `keyway validate` checks this file; `keyway generate` writes its set-up checklist.
        key: linear
        provider: linear            # Nango's provider key
        name: Linear
        category: project-management
        description: Read issues and projects
        auth:
          mode: oauth2
          console: https://linear.app/settings/api/applications/new
          scopes:                   # every scope asked for, each with the reason shown in review
            - scope: read
              reason: Agents read issues, projects and teams
          redirect_uris:
            production: https://api.nango.dev/oauth/callback
          secrets:                  # names of the environment variables, never the values
            client_id: LINEAR_CLIENT_ID
            client_secret: LINEAR_CLIENT_SECRET

        """

    static let connector = """
        # A connector: the agent tools on an integration, each one call through Nango's proxy.
        slug: linear
        name: Linear
        description: Issue-tracking tools for agents
        nango:
          provider_key: linear      # the integration's key
        tools:
          - name: query_issues
            description: Read Linear issues, projects and teams with a GraphQL query
            method: POST
            endpoint: /graphql
            scopes: [read]          # each must be granted by the integration
            input:
              query: { type: string, description: "GraphQL query, e.g. { issues(first: 10) { nodes { identifier title } } }" }

        """

    static let scopes = """
        # A scope catalog: what each of a provider's scopes allows, for the audit.
        provider: linear
        scopes:
          - scope: read
            level: read             # read, write or admin (Google: non-sensitive, sensitive, restricted)
            description: Read access to the workspace's data

        """
}
