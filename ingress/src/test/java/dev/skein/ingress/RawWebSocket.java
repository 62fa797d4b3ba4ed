package dev.skein.ingress;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A WebSocket client that writes frames byte by byte, for what no library sends: invalid UTF-8 in
 * a text frame, invalid close codes, stray continuations, reserved opcodes.
 */
final class RawWebSocket implements AutoCloseable {

    static final int TEXT = 0x1;
    static final int BINARY = 0x2;
    static final int CONTINUATION = 0x0;
    static final int CLOSE = 0x8;
    static final int PING = 0x9;

    /** What the server sent until it closed: its text messages, and its close frame (code -1: none, TCP closed). */
    record Outcome(List<String> texts, int closeCode, String closeReason) {}

    private final Socket socket;
    private final DataInputStream in;
    private final Random random = new Random(7);

    private RawWebSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
    }

    /** Connects and completes the handshake to {@code path}; fails unless the server answers 101. */
    static RawWebSocket open(int port, String path, int timeoutMillis) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(timeoutMillis);
        socket.getOutputStream()
                .write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
        RawWebSocket ws = new RawWebSocket(socket);
        RawHttp.Response head = RawHttp.readHeadOnly(socket.getInputStream());
        if (head.status() != 101) {
            socket.close();
            throw new IOException("handshake refused: " + head);
        }
        return ws;
    }

    /** Writes one masked frame, as a client must. */
    void frame(boolean fin, int opcode, byte[] payload) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length + 14);
        out.write((fin ? 0x80 : 0) | opcode);
        if (payload.length < 126) {
            out.write(0x80 | payload.length);
        } else if (payload.length < 65_536) {
            out.write(0x80 | 126);
            out.write(payload.length >>> 8);
            out.write(payload.length & 0xff);
        } else {
            out.write(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                out.write((int) ((long) payload.length >>> shift) & 0xff);
            }
        }
        byte[] mask = new byte[4];
        random.nextBytes(mask);
        out.write(mask);
        for (int i = 0; i < payload.length; i++) {
            out.write(payload[i] ^ mask[i & 3]);
        }
        try {
            socket.getOutputStream().write(out.toByteArray());
        } catch (IOException e) {
            // the server may have closed already; read() reports what it sent
        }
    }

    static byte[] closePayload(int code, String reason) {
        byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        byte[] payload = new byte[2 + text.length];
        payload[0] = (byte) (code >>> 8);
        payload[1] = (byte) code;
        System.arraycopy(text, 0, payload, 2, text.length);
        return payload;
    }

    /** Reads frames until the server's close frame or the end of the stream. */
    Outcome readUntilClose() throws IOException {
        List<String> texts = new ArrayList<>();
        try {
            while (true) {
                int b0 = in.readUnsignedByte();
                int b1 = in.readUnsignedByte();
                long length = b1 & 0x7f;
                if (length == 126) {
                    length = in.readUnsignedShort();
                } else if (length == 127) {
                    length = in.readLong();
                }
                byte[] payload = new byte[(int) length];
                in.readFully(payload);
                int opcode = b0 & 0x0f;
                if (opcode == TEXT) {
                    texts.add(new String(payload, StandardCharsets.UTF_8));
                } else if (opcode == CLOSE) {
                    int code = payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
                    String reason = payload.length > 2
                            ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8)
                            : "";
                    return new Outcome(texts, code, reason);
                }
            }
        } catch (EOFException | SocketTimeoutException e) {
            return new Outcome(texts, -1, e instanceof SocketTimeoutException ? "timeout" : "");
        } catch (IOException e) {
            return new Outcome(texts, -1, e.toString());
        }
    }

    /** Reads the next text message, skipping pings, or null when the stream closed or timed out first. */
    String nextText() throws IOException {
        while (true) {
            Outcome o = readOne();
            if (o == null || o.closeCode() == CLOSE) {
                return null;
            }
            if (!o.texts().isEmpty()) {
                return o.texts().get(0);
            }
        }
    }

    private Outcome readOne() throws IOException {
        try {
            int b0 = in.readUnsignedByte();
            int b1 = in.readUnsignedByte();
            long length = b1 & 0x7f;
            if (length == 126) {
                length = in.readUnsignedShort();
            } else if (length == 127) {
                length = in.readLong();
            }
            byte[] payload = new byte[(int) length];
            in.readFully(payload);
            return (b0 & 0x0f) == TEXT
                    ? new Outcome(List.of(new String(payload, StandardCharsets.UTF_8)), 0, "")
                    : new Outcome(List.of(), b0 & 0x0f, "");
        } catch (EOFException | SocketTimeoutException e) {
            return null;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
