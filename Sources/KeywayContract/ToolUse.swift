import Foundation

/// One tool's calls in a window of the call log (`tool_calls`): read by
/// `ConnectionStore.toolCalls(since:)`, summed per scope by `keyway audit --calls`.
public struct ToolUse: Equatable, Sendable {
    public var calls: Int
    public var lastCalled: Date?
    /// Calls refused for authorisation: `needs_reauth`, or the provider's
    /// insufficient-scope answer (`insufficient_scope`).
    public var refused: Int

    public init(calls: Int, lastCalled: Date?, refused: Int) {
        self.calls = calls
        self.lastCalled = lastCalled
        self.refused = refused
    }
}
