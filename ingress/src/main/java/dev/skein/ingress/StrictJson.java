package dev.skein.ingress;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strict reading of what clients send: UTF-8 that is valid (no replacement characters slipped in),
 * and JSON as RFC 8259 writes it. Vert.x's own decoder accepts comments, and Java's string
 * decoding turns bad bytes into U+FFFD; both would store something the client did not mean.
 */
final class StrictJson {

    /** Deeper than any turn or command body; bounds the parser's work on hostile nesting. */
    private static final int MAX_NESTING = 32;

    // Jackson's defaults are strict (no comments, no single quotes, no unquoted names, no control
    // characters in strings); duplicate keys are refused too, so that no field is silently lost.
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(
                    StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build())
            .build();

    private StrictJson() {}

    /**
     * Decodes {@code bytes} as UTF-8, refusing malformed and overlong sequences and encoded
     * surrogates.
     *
     * @param what names the input in the message ("request body")
     * @throws HttpFailure 400 naming the byte offset of the first bad sequence
     */
    static String utf8(Buffer bytes, String what) {
        if (bytes == null || bytes.length() == 0) {
            return "";
        }
        ByteBuffer in = ByteBuffer.wrap(bytes.getBytes());
        CharsetDecoder decoder = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        CharBuffer out = CharBuffer.allocate(bytes.length());
        var result = decoder.decode(in, out, true);
        if (result.isError()) {
            throw HttpFailure.badRequest(what + " is not valid UTF-8: " + result.length()
                    + " malformed byte(s) at byte offset " + in.position() + "; send UTF-8 text");
        }
        result = decoder.flush(out);
        if (result.isError()) {
            throw HttpFailure.badRequest(what + " is not valid UTF-8: it ends inside a character; send UTF-8 text");
        }
        return out.flip().toString();
    }

    /** True when {@code bytes} is valid UTF-8. */
    static boolean isUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    /**
     * Parses one JSON value strictly: no comments, no trailing content, no duplicate keys, nesting
     * of at most 32, and no unpaired surrogate ({@code "\ud800"}) in any string or key.
     *
     * @return the value as Vert.x types ({@code JsonObject}, {@code JsonArray}, String, Number, Boolean, null)
     * @throws IllegalArgumentException saying what is wrong and where
     */
    static Object parse(String text) {
        try (JsonParser parser = FACTORY.createParser(text)) {
            JsonToken token = parser.nextToken();
            if (token == null) {
                throw new IllegalArgumentException("no JSON value");
            }
            int depth = 0;
            do {
                if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
                    depth++;
                } else if (token == JsonToken.END_OBJECT || token == JsonToken.END_ARRAY) {
                    depth--;
                } else if (token == JsonToken.FIELD_NAME || token == JsonToken.VALUE_STRING) {
                    checkSurrogates(parser.getText(), parser.currentTokenLocation());
                }
                if (depth == 0) {
                    break;
                }
            } while ((token = parser.nextToken()) != null);
            if (parser.nextToken() != null) {
                throw new IllegalArgumentException(
                        "unexpected content after the JSON value" + at(parser.currentTokenLocation()));
            }
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e.getOriginalMessage() + at(e.getLocation()), e);
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return Json.decodeValue(text);
    }

    private static void checkSurrogates(String text, JsonLocation location) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(String.format(
                        "a string has an unpaired surrogate \\u%04x%s: JSON strings must be valid Unicode",
                        (int) c, at(location)));
            }
        }
    }

    private static String at(JsonLocation location) {
        return location == null ? "" : " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }
}
