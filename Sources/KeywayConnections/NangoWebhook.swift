import Crypto
import Foundation

/// Nango's webhooks: verification and the auth webhook's fields. The server receives them
/// (the connection loop of `ConnectionStore`), so they live here, with the HMAC
/// (swift-crypto, which PostgresNIO builds anyway): an app that only calls tools builds no
/// cryptography library.
public enum NangoWebhook {
    /// Whether a webhook is Nango's: `X-Nango-Hmac-Sha256` must be the hex HMAC-SHA256
    /// of the raw body under the signing key, compared in constant time. The legacy
    /// `X-Nango-Signature` (SHA-256 of key + body) is accepted only when `allowLegacy`.
    public static func verify(body: Data, headers: [String: String], signingKey: String, allowLegacy: Bool = false) -> Bool {
        // Without a key, anyone could sign: nothing verifies.
        guard !signingKey.isEmpty else { return false }
        func header(_ name: String) -> String? { headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value }
        if let signature = header("X-Nango-Hmac-Sha256") {
            let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(signingKey.utf8)))
            return constantTimeEqual(hex(Data(mac)), signature.lowercased())
        }
        if allowLegacy, let signature = header("X-Nango-Signature") {
            let digest = SHA256.hash(data: Data(signingKey.utf8) + body)
            return constantTimeEqual(hex(Data(digest)), signature.lowercased())
        }
        return false
    }

    static func hex(_ data: Data) -> String { data.map { String(format: "%02x", $0) }.joined() }

    /// Compares every byte whatever the first difference, so timing tells nothing.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }

    /// The auth webhook Nango sends when a connection is created, refreshed or fails.
    public struct AuthEvent: Decodable, Sendable, Equatable {
        public struct EndUser: Decodable, Sendable, Equatable {
            public var endUserId: String?
            public var organizationId: String?
        }
        public var type: String
        public var operation: String
        public var success: Bool
        public var connectionId: String
        public var providerConfigKey: String
        public var provider: String?
        public var environment: String?
        public var tags: [String: String]?
        /// Deprecated upstream in favour of `tags`.
        public var endUser: EndUser?
    }

    /// Verifies, then decodes an auth webhook; nil when the signature is wrong or the
    /// body is another kind of webhook.
    public static func authEvent(body: Data, headers: [String: String], signingKey: String, allowLegacy: Bool = false) -> AuthEvent? {
        guard verify(body: body, headers: headers, signingKey: signingKey, allowLegacy: allowLegacy),
              let event = try? JSONDecoder().decode(AuthEvent.self, from: body), event.type == "auth" else { return nil }
        return event
    }
}
