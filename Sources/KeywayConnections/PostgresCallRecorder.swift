import Foundation
import KeywayContract
import KeywayRuntime
import Logging
import PostgresNIO

/// The call log on keyway's PostgreSQL (`tool_calls`, table format 3), written as the
/// server's role. `record` only queues: a call never waits on the database, and when the
/// queue is full (the database slow or down) the record is dropped and counted, never the
/// call. `run()` writes the queue in batches until `finish()`.
public final class PostgresCallRecorder: ToolCallRecorder, @unchecked Sendable {
    /// Records queued and not yet written, at most.
    public let capacity: Int
    /// Records written in one statement, at most.
    public let batchSize: Int
    let store: ConnectionStore

    /// What became of the records so far.
    public struct Counts: Sendable, Equatable {
        public var written = 0
        /// Refused at once: the queue was full.
        public var dropped = 0
        /// Lost in a batch the database refused.
        public var failed = 0
        public init(written: Int = 0, dropped: Int = 0, failed: Int = 0) {
            self.written = written
            self.dropped = dropped
            self.failed = failed
        }
    }

    private let lock = NSLock()
    private var queue: [ToolCallRecord] = []
    private var head = 0
    private var inFlight = 0
    private var tally = Counts()
    private let wake: AsyncStream<Void>
    private let waker: AsyncStream<Void>.Continuation

    /// - Parameters:
    ///   - store: keyway's tables (its server role writes).
    ///   - capacity: records that may wait for the database; more are dropped.
    public init(store: ConnectionStore, capacity: Int = 10_000, batchSize: Int = 200) {
        precondition(capacity > 0 && batchSize > 0)
        self.store = store
        self.capacity = capacity
        self.batchSize = batchSize
        (wake, waker) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    public func record(_ call: ToolCallRecord) {
        let queued: Bool = lock.withLock {
            guard queue.count - head < capacity else {
                tally.dropped += 1
                return false
            }
            queue.append(call)
            return true
        }
        if queued { waker.yield() }
    }

    public var counts: Counts { lock.withLock { tally } }

    /// Records queued or being written.
    public var pending: Int { lock.withLock { queue.count - head + inFlight } }

    /// Writes what is queued, batch by batch, until `finish()` has been called and the
    /// queue is empty. Run it beside the server, on a task of its own.
    public func run() async {
        for await _ in wake {
            await writeQueued()
        }
        await writeQueued()
    }

    /// Lets `run()` end once it has written what is queued.
    public func finish() { waker.finish() }

    private func writeQueued() async {
        while true {
            let batch: [ToolCallRecord] = lock.withLock {
                let end = min(queue.count, head + batchSize)
                let taken = Array(queue[head..<end])
                head = end
                if head == queue.count {
                    queue.removeAll(keepingCapacity: true)
                    head = 0
                } else if head > 4096 {
                    queue.removeFirst(head)
                    head = 0
                }
                inFlight = taken.count
                return taken
            }
            if batch.isEmpty { return }
            let ok: Bool
            do {
                try await store.insert(batch)
                ok = true
            } catch {
                store.logger.warning("keyway: \(batch.count) call records not written: \(error)")
                ok = false
            }
            lock.withLock {
                if ok { tally.written += batch.count } else { tally.failed += batch.count }
                inFlight = 0
            }
        }
    }
}

extension ConnectionStore {
    /// A call log on these tables, written as the server's role.
    public func callRecorder(capacity: Int = 10_000, batchSize: Int = 200) -> PostgresCallRecorder {
        PostgresCallRecorder(store: self, capacity: capacity, batchSize: batchSize)
    }

    /// One statement for the batch, as the server's role.
    func insert(_ calls: [ToolCallRecord]) async throws(WebhookRejection) {
        try await server { connection in
            var bindings = PostgresBindings()
            var values: [String] = []
            for call in calls {
                let n = bindings.count
                values.append("(" + (1...11).map { "$\(n + $0)" }.joined(separator: ", ") + ", $\(n + 12)::jsonb, $\(n + 13)::jsonb)")
                bindings.append(call.calledAt)
                bindings.append(call.tool)
                bindings.append(call.connector)
                bindings.append(call.providerConfigKey)
                if let id = call.connectionID { bindings.append(id) } else { bindings.appendNull() }
                bindings.append(call.owner)
                bindings.append(call.user)
                bindings.append(call.outcome)
                if let status = call.upstreamStatus { bindings.append(Int32(status)) } else { bindings.appendNull() }
                bindings.append(Int32(clamping: call.latencyMilliseconds))
                bindings.append(call.scopes)
                for kept in [call.arguments, call.response] {
                    if let kept { bindings.append(String(decoding: kept.jsonData, as: UTF8.self)) } else { bindings.appendNull() }
                }
            }
            _ = try await rows(connection, """
                insert into public.tool_calls (called_at, tool, connector_slug, provider_config_key, connection_id, owner_id, user_id, outcome, upstream_status, latency_ms, scopes, arguments, response)
                values \(values.joined(separator: ", "))
                """, bindings)
        }
    }

    /// Tool name → its calls made since `since` (every tenant's), as the server's role.
    public func toolCalls(since: Date) async throws(WebhookRejection) -> [String: ToolUse] {
        try await server { connection in
            var out: [String: ToolUse] = [:]
            for row in try await rows(connection, """
                select tool, count(*)::bigint, max(called_at), count(*) filter (where outcome in ('needs_reauth', 'insufficient_scope'))::bigint
                from public.tool_calls where called_at >= $1 group by tool
                """, binds(since)) {
                let (tool, calls, last, refused) = try row.decode((String, Int64, Date?, Int64).self)
                out[tool] = ToolUse(calls: Int(calls), lastCalled: last, refused: Int(refused))
            }
            return out
        }
    }

    /// Deletes the calls made before `cutoff`, as the server's role; how many.
    public func pruneCalls(before cutoff: Date) async throws(WebhookRejection) -> Int {
        try await server { connection in
            try await rows(connection, "delete from public.tool_calls where called_at < $1 returning 1", binds(cutoff)).count
        }
    }
}
