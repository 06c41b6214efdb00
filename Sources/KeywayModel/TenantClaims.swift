import KeywayContract

/// Where the tenant of a request is read from the JWT claims the database sees
/// (`request.jwt.claims`, as PostgREST and Supabase set it). Configured in one place,
/// `keyway.yaml`'s `tenancy:`; the migrations render it into `public.requesting_owner_id()`
/// (the first organisation claim present, else the user) and `public.requesting_user_id()`
/// (the first user claim present).
public struct TenantClaims: Codable, Equatable, Hashable, Sendable {
    /// A path into the claims object: `o.id` is `{"o": {"id": …}}`.
    public struct Path: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
        public var keys: [String]
        public init(_ keys: [String]) { self.keys = keys }

        /// `o.id` → ["o", "id"]; nil unless every key is a plain claim name.
        public init?(dotted: String) {
            let keys = dotted.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !keys.isEmpty, keys.count <= 8, keys.allSatisfy(Self.isClaimName) else { return nil }
            self.keys = keys
        }

        /// Letters, digits, `_`, `-` and `:` (Clerk's `o`, `org_id`, Auth0's namespaced
        /// `https:` claims are not plain and are refused), at most 64 characters.
        public static func isClaimName(_ key: String) -> Bool {
            !key.isEmpty && key.utf8.count <= 64
                && key.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" || $0 == ":") }
        }

        public var description: String { keys.joined(separator: ".") }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(description)
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let path = Path(dotted: text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not a claim path")
            }
            self = path
        }
    }

    /// Claims naming the user, the first present wins.
    public var user: [Path]
    /// Claims naming the organisation, the first present wins; without one the user is
    /// the owner.
    public var organization: [Path]

    /// Who administers the organisation (`tenancy.admin`), nil when nobody does: an
    /// administrator reads every call of the organisation's log, a member only its own.
    public var admin: Admin?

    /// The claims that mark an organisation's administrators: the first of `claims`
    /// present holds one of `values` (Clerk v2: `o.rol` = `admin`; v1: `org_role` =
    /// `org:admin`). The database's `requesting_is_admin()` reads it.
    public struct Admin: Codable, Equatable, Hashable, Sendable {
        public var claims: [Path]
        public var values: [String]
        public init(claims: [Path], values: [String]) {
            self.claims = claims
            self.values = values
        }

        /// A value an admin claim may hold: claim names (`Path.isClaimName`) joined by `.`
        /// (`org:admin`, `admin.billing`), at most 64 characters.
        public static func isValue(_ value: String) -> Bool {
            value.utf8.count <= 64 && value.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { Path.isClaimName(String($0)) }
        }
    }

    public init(user: [Path], organization: [Path], admin: Admin? = nil) {
        self.user = user
        self.organization = organization
        self.admin = admin
    }

    /// Supabase Auth (`sub`), Clerk's session token v2 (`o.id`) and v1 (`org_id`).
    public static let `default` = TenantClaims(user: ClaimPaths.defaultUser.map(Path.init), organization: ClaimPaths.defaultOrganization.map(Path.init))

    /// What the first migrations (schema format 1) read: `org_id`, else `sub`.
    public static let formatOne = TenantClaims(user: [Path(["sub"])], organization: [Path(["org_id"])])
}
