package io.pikemix.bench;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * The lean load generator of {@code bench/service} ({@code -Dpike.bench.client=socket}): one plain HTTP/1.1
 * keep-alive connection to 127.0.0.1 (TCP_NODELAY) per client thread. The request (GET with its query, or POST with
 * Content-Length and a JSON body) is written in one {@code write} from a reused buffer; the response is parsed by
 * hand (status line, headers, a Content-Length, chunked or read-to-close body) into a reused buffer. Once its
 * buffers have grown to the largest answer, a request allocates nothing. Not thread-safe: one client, one thread at
 * a time.
 */
final class SocketClient implements AutoCloseable {
    /** A growable ASCII byte string (request targets and bodies), appended to without allocation once grown. */
    static final class Ascii {
        byte[] bytes;
        int length;

        Ascii(int capacity) {
            bytes = new byte[capacity];
        }

        Ascii clear() {
            length = 0;
            return this;
        }

        /** Appends {@code s}, which must be ASCII. */
        Ascii add(String s) {
            int n = s.length();
            ensure(n);
            for (int i = 0; i < n; i++) bytes[length++] = (byte) s.charAt(i);
            return this;
        }

        Ascii add(Ascii a) {
            ensure(a.length);
            System.arraycopy(a.bytes, 0, bytes, length, a.length);
            length += a.length;
            return this;
        }

        /** Appends the decimal digits of {@code v}. */
        Ascii add(long v) {
            if (v == Long.MIN_VALUE) return add(Long.toString(v));
            ensure(20);
            if (v < 0) {
                bytes[length++] = '-';
                v = -v;
            }
            int start = length;
            do {
                bytes[length++] = (byte) ('0' + v % 10);
                v /= 10;
            } while (v != 0);
            for (int i = start, j = length - 1; i < j; i++, j--) {
                byte b = bytes[i];
                bytes[i] = bytes[j];
                bytes[j] = b;
            }
            return this;
        }

        private void ensure(int extra) {
            if (length + extra > bytes.length)
                bytes = java.util.Arrays.copyOf(bytes, Math.max(2 * bytes.length, length + extra));
        }

        @Override
        public String toString() {
            return new String(bytes, 0, length, StandardCharsets.US_ASCII);
        }
    }

    private static final int MAX_LINE = 65536;

    private final int port;
    private Socket socket;
    private OutputStream out;
    private InputStream in;
    private final Ascii request = new Ascii(2048);
    private final byte[] buf = new byte[16384];
    private int pos, lim;
    private byte[] line = new byte[256];
    private byte[] body = new byte[65536];
    private int bodyLength;
    private int status;

    /** A client of the server on 127.0.0.1:port; connects on the first request. */
    SocketClient(int port) {
        this.port = port;
    }

    /** The last answer's status. */
    int status() {
        return status;
    }

    /** The last answer's body: {@link #bodyLength()} bytes of this array. */
    byte[] body() {
        return body;
    }

    int bodyLength() {
        return bodyLength;
    }

    /** GET {@code target} (path and query); throws unless the answer is 200, with its body. */
    void get(Ascii target) throws IOException {
        exchange("GET", target, null, 200);
    }

    /** POST {@code content} (JSON) to {@code target}; throws unless the answer is 200, with its body. */
    void post(Ascii target, Ascii content) throws IOException {
        exchange("POST", target, content, 200);
    }

    /** POST {@code content} to {@code target}; throws unless the answer has status {@code expected}. */
    void post(Ascii target, Ascii content, int expected) throws IOException {
        exchange("POST", target, content, expected);
    }

    private void exchange(String method, Ascii target, Ascii content, int expected) throws IOException {
        if (socket == null) connect();
        request.clear()
                .add(method)
                .add(" ")
                .add(target)
                .add(" HTTP/1.1\r\nHost: 127.0.0.1:")
                .add(port);
        if (content != null)
            request.add("\r\nContent-Type: application/json\r\nContent-Length: ")
                    .add(content.length);
        request.add("\r\n\r\n");
        if (content != null) request.add(content);
        try {
            out.write(request.bytes, 0, request.length);
            readResponse();
        } catch (IOException | RuntimeException e) {
            close(); // the connection's state is unknown: the next request opens a new one
            throw e;
        }
        if (status != expected)
            throw new IllegalStateException(method + " " + target + " -> " + status + " (expected " + expected + ") "
                    + new String(body, 0, bodyLength, StandardCharsets.UTF_8));
    }

    private void connect() throws IOException {
        var s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.setSoTimeout(60_000); // longer than the bench's 10 s long polls; a hung server fails the run
            s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            out = s.getOutputStream();
            in = s.getInputStream();
        } catch (IOException e) {
            s.close();
            throw e;
        }
        socket = s;
        pos = lim = 0;
    }

    private void readResponse() throws IOException {
        long contentLength;
        boolean chunked, close;
        do { // interim 1xx answers (none is asked for) are skipped
            int n = readLine();
            if (n < 12 || !startsWith(n, "HTTP/1.") || line[8] != ' ')
                throw new IOException("not an HTTP/1.x status line: "
                        + new String(line, 0, Math.min(n, 200), StandardCharsets.ISO_8859_1));
            status = 0;
            for (int i = 9; i < 12; i++) {
                int d = line[i] - '0';
                if (d < 0 || d > 9) throw new IOException("bad status code in the status line");
                status = 10 * status + d;
            }
            contentLength = -1;
            chunked = false;
            close = line[7] == '0'; // HTTP/1.0 closes unless it says keep-alive
            while ((n = readLine()) > 0) {
                int colon = indexOf(n, (byte) ':');
                if (colon < 0) throw new IOException("header line without a colon");
                int v = colon + 1;
                while (v < n && (line[v] == ' ' || line[v] == '\t')) v++;
                if (nameIs(colon, "content-length")) contentLength = parseLong(v, n, 10);
                else if (nameIs(colon, "transfer-encoding")) chunked = contains(v, n, "chunked");
                else if (nameIs(colon, "connection")) {
                    if (contains(v, n, "close")) close = true;
                    else if (contains(v, n, "keep-alive")) close = false;
                }
            }
        } while (status >= 100 && status < 200);
        bodyLength = 0;
        if (status == 204 || status == 304) {
            // no body
        } else if (chunked) {
            while (true) {
                int n = readLine();
                int end = indexOf(n, (byte) ';'); // chunk extensions are ignored
                long size = parseLong(0, end < 0 ? n : end, 16);
                if (size == 0) break;
                readBody(size);
                if (readLine() != 0) throw new IOException("chunk not followed by CRLF");
            }
            while (readLine() > 0) {} // trailers
        } else if (contentLength >= 0) {
            readBody(contentLength);
        } else { // no length: the body runs to the end of the connection
            while (true) {
                if (pos == lim && !fill()) break;
                readBody(lim - pos);
            }
            close = true;
        }
        if (close) close();
    }

    /** Reads one header line into {@link #line} without its CRLF (or bare LF); returns its length. */
    private int readLine() throws IOException {
        int n = 0;
        while (true) {
            if (pos == lim && !fill()) throw new EOFException("the server closed the connection mid-answer");
            byte b = buf[pos++];
            if (b == '\n') return n > 0 && line[n - 1] == '\r' ? n - 1 : n;
            if (n == line.length) {
                if (n >= MAX_LINE) throw new IOException("header line longer than " + MAX_LINE + " bytes");
                line = java.util.Arrays.copyOf(line, 2 * n);
            }
            line[n++] = b;
        }
    }

    /** Appends {@code length} body bytes: first what is buffered, then straight from the socket. */
    private void readBody(long length) throws IOException {
        if (bodyLength + length > Integer.MAX_VALUE - 16) throw new IOException("body too large: " + length);
        int need = (int) length;
        if (bodyLength + need > body.length)
            body = java.util.Arrays.copyOf(body, Math.max(2 * body.length, bodyLength + need));
        int buffered = Math.min(need, lim - pos);
        System.arraycopy(buf, pos, body, bodyLength, buffered);
        pos += buffered;
        bodyLength += buffered;
        need -= buffered;
        while (need > 0) {
            int r = in.read(body, bodyLength, need);
            if (r < 0) throw new EOFException("the server closed the connection mid-body");
            bodyLength += r;
            need -= r;
        }
    }

    private boolean fill() throws IOException {
        pos = lim = 0;
        int r = in.read(buf, 0, buf.length);
        if (r < 0) return false;
        lim = r;
        return true;
    }

    private boolean startsWith(int n, String s) {
        if (n < s.length()) return false;
        for (int i = 0; i < s.length(); i++) if (line[i] != s.charAt(i)) return false;
        return true;
    }

    /** Whether line[0, end) equals {@code lower} ignoring ASCII case (trailing blanks allowed). */
    private boolean nameIs(int end, String lower) {
        while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t')) end--;
        if (end != lower.length()) return false;
        for (int i = 0; i < end; i++) if ((line[i] | 0x20) != lower.charAt(i)) return false;
        return true;
    }

    /** Whether line[from, to) contains {@code lower} ignoring ASCII case. */
    private boolean contains(int from, int to, String lower) {
        outer:
        for (int i = from; i + lower.length() <= to; i++) {
            for (int j = 0; j < lower.length(); j++) if ((line[i + j] | 0x20) != lower.charAt(j)) continue outer;
            return true;
        }
        return false;
    }

    private int indexOf(int n, byte b) {
        for (int i = 0; i < n; i++) if (line[i] == b) return i;
        return -1;
    }

    private long parseLong(int from, int to, int radix) throws IOException {
        while (to > from && (line[to - 1] == ' ' || line[to - 1] == '\t')) to--;
        if (from >= to) throw new IOException("empty number in the answer's head");
        long v = 0;
        for (int i = from; i < to; i++) {
            int d = Character.digit(line[i], radix);
            if (d < 0 || v > (Long.MAX_VALUE - d) / radix)
                throw new IOException("bad number in the answer's head: "
                        + new String(line, from, to - from, StandardCharsets.ISO_8859_1));
            v = v * radix + d;
        }
        return v;
    }

    @Override
    public void close() {
        if (socket == null) return;
        try {
            socket.close();
        } catch (IOException e) {
            // closing a loopback socket: nothing to do about a failure
        }
        socket = null;
        out = null;
        in = null;
    }
}
