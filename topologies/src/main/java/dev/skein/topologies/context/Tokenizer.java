package dev.skein.topologies.context;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingResult;
import com.knuddels.jtokkit.api.EncodingType;
import java.util.Locale;

/**
 * How an agent's tokens are counted: with one of OpenAI's encodings (jtokkit), or with a
 * documented estimate for every other model family, whose tokenizers are not available as a
 * Java library. The estimate is {@value #CHARS_PER_TOKEN} characters a token, rounded up: close
 * for English prose with the common BPE tokenizers, generous for code and JSON, low for languages
 * without spaces; set {@code max-tokens} with that margin in mind.
 */
public enum Tokenizer {
    CL100K_BASE(EncodingType.CL100K_BASE),
    O200K_BASE(EncodingType.O200K_BASE),
    ESTIMATE(null);

    static final int CHARS_PER_TOKEN = 4;

    private final Encoding encoding;

    Tokenizer(EncodingType type) {
        // The lazy registry loads only the encodings asked for (each is a few MB of ranks).
        this.encoding =
                type == null ? null : Encodings.newLazyEncodingRegistry().getEncoding(type);
    }

    /** The tokenizer a configuration value names: {@code cl100k_base}, {@code o200k_base} or {@code estimate}. */
    public static Tokenizer named(String value) {
        try {
            return valueOf(value.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "tokenizer '" + value + "' is not one of cl100k_base, o200k_base, estimate", e);
        }
    }

    /** The tokens of {@code text}; special tokens such as {@code <|endoftext|>} count as ordinary text. */
    public int count(String text) {
        if (text == null || text.isEmpty()) {
            return 0;
        }
        return encoding == null
                ? (text.length() + CHARS_PER_TOKEN - 1) / CHARS_PER_TOKEN
                : encoding.countTokensOrdinary(text);
    }

    /** The longest start of {@code text} that has at most {@code tokens} tokens. */
    public String head(String text, int tokens) {
        if (encoding == null) {
            return text.substring(0, Math.min(text.length(), tokens * CHARS_PER_TOKEN));
        }
        EncodingResult result = encoding.encodeOrdinary(text, tokens);
        return result.isTruncated() ? encoding.decode(result.getTokens()) : text;
    }
}
