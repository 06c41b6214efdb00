import Foundation
import Logging
import MCP

/// MCP's stdio transport: one JSON-RPC message a line on standard input, answers on
/// standard output. Each line is read in time linear in its length and may hold at most
/// `maxLineBytes`: a longer one is dropped as it arrives (never held in memory) and
/// answered with an Invalid Request error, so one endless line cannot take a core or the
/// memory. (The SDK's `StdioTransport` searched its whole buffer again after every 4 KB
/// read and had no cap: a 4 MB line took 92 s.)
public actor LineTransport: Transport {
    public let logger: Logger
    let input: Int32
    let output: Int32
    public let maxLineBytes: Int
    let writer: LineWriter
    let messages: AsyncThrowingStream<Data, any Error>
    let continuation: AsyncThrowingStream<Data, any Error>.Continuation
    var started = false

    public init(input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO, maxLineBytes: Int, logger: Logger? = nil) {
        self.input = input
        self.output = output
        self.maxLineBytes = maxLineBytes
        self.writer = LineWriter(fd: output)
        self.logger = logger ?? Logger(label: "keyway.mcp.stdio", factory: { _ in SwiftLogNoOpLogHandler() })
        (messages, continuation) = AsyncThrowingStream.makeStream()
    }

    public func connect() async throws {
        guard !started else { return }
        started = true
        // The reader answers an over-long line itself, before it passes on the next line:
        // the answers keep the order of the lines.
        let writer = self.writer
        let reader = LineReader(fd: input, limit: maxLineBytes, continuation: continuation) { limit in
            try? writer.write(Self.tooLong(limit))
        }
        Thread.detachNewThread { reader.run() }
    }

    public func disconnect() async {
        continuation.finish()
    }

    public func send(_ data: Data) async throws {
        try writer.write(data)
    }

    public func receive() -> AsyncThrowingStream<Data, any Error> { messages }

    /// The answer to a line over the cap: a JSON-RPC error with no id (the id was in the
    /// part not read).
    static func tooLong(_ limit: Int) -> Data {
        Data(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request: a message may hold at most \#(limit) bytes; this line had more and was skipped"}}"#.utf8)
    }
}

/// Writes whole lines to standard output, one writer at a time.
final class LineWriter: @unchecked Sendable {
    let fd: Int32
    let lock = NSLock()
    init(fd: Int32) { self.fd = fd }

    func write(_ data: Data) throws {
        var bytes = [UInt8](data)
        bytes.append(UInt8(ascii: "\n"))
        try lock.withLock {
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
                if written < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    throw MCPError.transportError(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO))
                }
                offset += written
            }
        }
    }
}

/// Splits standard input into lines on its own thread (blocking reads), looking at each
/// byte once.
final class LineReader: @unchecked Sendable {
    let fd: Int32
    let limit: Int
    let continuation: AsyncThrowingStream<Data, any Error>.Continuation
    let rejected: @Sendable (Int) -> Void

    init(fd: Int32, limit: Int, continuation: AsyncThrowingStream<Data, any Error>.Continuation, rejected: @escaping @Sendable (Int) -> Void) {
        self.fd = fd
        self.limit = limit
        self.continuation = continuation
        self.rejected = rejected
    }

    func run() {
        var line: [UInt8] = []
        var skipping = false
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        func end() {
            if skipping {
                rejected(limit)
            } else {
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                if !line.isEmpty { continuation.yield(Data(line)) }
            }
            line.removeAll(keepingCapacity: line.count <= 1 << 20)
            skipping = false
        }
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            var start = 0
            for i in 0..<n where chunk[i] == UInt8(ascii: "\n") {
                if !skipping { line.append(contentsOf: chunk[start..<i]) }
                if line.count > limit { skipping = true }
                end()
                start = i + 1
            }
            if start < n, !skipping {
                line.append(contentsOf: chunk[start..<n])
                if line.count > limit {
                    skipping = true
                    line.removeAll()
                }
            }
        }
        if skipping || !line.isEmpty { end() }
        continuation.finish()
    }
}
