package dev.skein.ingress;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A client that writes whatever bytes it is given, for requests that no well-behaved client can
 * send (no {@code Host}, folded headers, bad chunk sizes, garbage), and reads one response back.
 */
final class RawHttp {

    private RawHttp() {}

    /** One response as read off the socket; {@code status} is -1 when none came before the socket closed. */
    record Response(int status, Map<String, String> headers, String body, long millis) {

        boolean hasJsonError() {
            if (!"application/json".equals(headers.get("content-type"))) {
                return false;
            }
            try {
                return new JsonObject(body).getValue("error") instanceof String;
            } catch (RuntimeException e) {
                return false;
            }
        }

        String error() {
            return new JsonObject(body).getString("error");
        }

        @Override
        public String toString() {
            return status + " " + headers + " " + body;
        }
    }

    static Response send(int port, String request, int timeoutMillis) throws IOException {
        return send(port, request.getBytes(StandardCharsets.ISO_8859_1), timeoutMillis);
    }

    /**
     * Writes {@code request}, then reads one response: the head, then the body by
     * {@code content-length} or chunks, or until the server closes.
     *
     * @throws SocketTimeoutException when no complete response arrives within {@code timeoutMillis}
     */
    static Response send(int port, byte[] request, int timeoutMillis) throws IOException {
        long start = System.nanoTime();
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(timeoutMillis);
            try {
                socket.getOutputStream().write(request);
                socket.getOutputStream().flush();
            } catch (IOException e) {
                // The server may answer and close before it has read all of a request it refused.
            }
            return read(socket.getInputStream(), start);
        }
    }

    static Response read(InputStream in, long startNanos) throws IOException {
        String head = readHead(in);
        if (head == null) {
            return new Response(-1, Map.of(), "", elapsed(startNanos));
        }
        String[] lines = head.split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new TreeMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(
                    lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                    lines[i].substring(colon + 1).trim());
        }
        byte[] body;
        if (status < 200) {
            body = new byte[0]; // 101: what follows is another protocol
        } else if (headers.containsKey("content-length")) {
            body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
        } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            body = readChunks(in);
        } else {
            body = in.readAllBytes();
        }
        return new Response(status, headers, new String(body, StandardCharsets.UTF_8), elapsed(startNanos));
    }

    /** Reads only a response head (for a 101, after which the stream is no longer HTTP). */
    static Response readHeadOnly(InputStream in) throws IOException {
        String head = readHead(in);
        if (head == null) {
            return new Response(-1, Map.of(), "", 0);
        }
        return new Response(Integer.parseInt(head.split("\r\n")[0].split(" ")[1]), Map.of(), head, 0);
    }

    /** True when the server closes the connection within {@code timeoutMillis} after {@code request}. */
    static boolean closesWithin(Socket socket, int timeoutMillis) throws IOException {
        socket.setSoTimeout(timeoutMillis);
        try {
            InputStream in = socket.getInputStream();
            while (in.read() >= 0) {
                // a response (e.g. a 408) may come before the close
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset by the server
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                    ? matched + 1
                    : (b == '\r' ? 1 : 0);
            if (matched == 4) {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return head.size() == 0 ? null : head.toString(StandardCharsets.ISO_8859_1);
    }

    private static byte[] readChunks(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String size = readLine(in);
            int length = Integer.parseInt(size.trim(), 16);
            if (length == 0) {
                readLine(in);
                return body.toByteArray();
            }
            body.write(in.readNBytes(length));
            readLine(in);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    private static long elapsed(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }
}
