import Foundation

/// One tool call as a call log keeps it: what ran, for whom, on which connection, how it
/// ended and how long it took; the arguments and the answer only for a tool whose
/// `CallLogPolicy` opts in, redacted and capped by it.
public struct ToolCallRecord: Sendable, Equatable {
    public var calledAt: Date
    /// The name models call the tool by (`gmail_search_emails`).
    public var tool: String
    public var connector: String
    public var providerConfigKey: String
    /// The Nango connection the call ran on, once one was found.
    public var connectionID: String?
    public var owner: String
    public var user: String
    /// `ok`, or the failure's `ToolFailure.kind`.
    public var outcome: String
    /// The provider's status, for `upstream_error`.
    public var upstreamStatus: Int?
    public var latencyMilliseconds: Int
    /// The scopes the tool uses (its manifest's).
    public var scopes: [String]
    /// The model's arguments, as the tool's `CallLogPolicy` keeps them; nil unless it opts in.
    public var arguments: JSONValue?
    /// The provider's answer of a successful call, as the policy keeps it; nil unless it opts in.
    public var response: JSONValue?

    public init(calledAt: Date, tool: String, connector: String, providerConfigKey: String, connectionID: String?, owner: String, user: String,
                outcome: String, upstreamStatus: Int?, latencyMilliseconds: Int, scopes: [String], arguments: JSONValue? = nil, response: JSONValue? = nil) {
        self.arguments = arguments
        self.response = response
        self.calledAt = calledAt
        self.tool = tool
        self.connector = connector
        self.providerConfigKey = providerConfigKey
        self.connectionID = connectionID
        self.owner = owner
        self.user = user
        self.outcome = outcome
        self.upstreamStatus = upstreamStatus
        self.latencyMilliseconds = latencyMilliseconds
        self.scopes = scopes
    }
}

/// Where a `ToolExecutor` reports each call it ran. `record` is called once a call has
/// finished, on the caller's task: it must return at once (queue the record, never wait on
/// a database), so that logging never slows or fails a call.
public protocol ToolCallRecorder: Sendable {
    func record(_ call: ToolCallRecord)
}

/// What a call found on its way, for its record.
final class CallTrace: @unchecked Sendable {
    private let lock = NSLock()
    private var id: String?
    var connectionID: String? {
        get { lock.withLock { id } }
        set { lock.withLock { id = newValue } }
    }
}
