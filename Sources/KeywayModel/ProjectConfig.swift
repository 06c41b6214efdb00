/// A project's `keyway.yaml`: settings that are not manifests. Strict like the manifests
/// (unknown keys are errors with a did-you-mean); every key optional.
public struct ProjectConfig: Sendable, Equatable {
    /// The file name looked for in the working directory.
    public static let fileName = "keyway.yaml"

    public var tenancy: TenantClaims

    public init(tenancy: TenantClaims = .default) {
        self.tenancy = tenancy
    }

    public static let `default` = ProjectConfig()
}
