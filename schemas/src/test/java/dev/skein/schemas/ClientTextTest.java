package dev.skein.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ClientTextTest {

    @Test
    void aShortPrintableValueIsQuotedAsItIs() {
        assertThat(ClientText.quote("s-1.é😀")).isEqualTo("'s-1.é😀'");
        assertThat(ClientText.quote(null)).isEqualTo("null");
    }

    @Test
    void aLongValueIsCutAfterSixtyFourCharacters() {
        String quoted = ClientText.quote("a".repeat(300));
        assertThat(quoted).isEqualTo("'" + "a".repeat(64) + "...'");
        assertThat(ClientText.quote("b".repeat(64))).isEqualTo("'" + "b".repeat(64) + "'");
        // A character outside the BMP counts once and is never split.
        assertThat(ClientText.shown("😀".repeat(100))).isEqualTo("😀".repeat(64) + "...");
    }

    @Test
    void controlFormatAndLoneSurrogateCharactersAreEscaped() {
        assertThat(ClientText.quote("a\nb\r\tc\u0000\u001b[31m")).isEqualTo("'a\\nb\\r\\tc\\u0000\\u001B[31m'");
        assertThat(ClientText.quote("x\u202Eevil\u200B")).isEqualTo("'x\\u202Eevil\\u200B'");
        assertThat(ClientText.quote("lone \uD800 and \uDC00")).isEqualTo("'lone \\uD800 and \\uDC00'");
        // An escaped character still counts as one of the 64.
        assertThat(ClientText.shown("\n".repeat(100))).isEqualTo("\\n".repeat(64) + "...");
    }
}
