package dev.skein.schemas.resources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ByteSizeTest {

    @Test
    void parsesTheWaysPeopleWriteSizes() {
        assertThat(ByteSize.parse("64g")).isEqualTo(64L << 30);
        assertThat(ByteSize.parse("512m")).isEqualTo(512L << 20);
        assertThat(ByteSize.parse("16GiB")).isEqualTo(16L << 30);
        assertThat(ByteSize.parse("16GB")).isEqualTo(16L << 30);
        assertThat(ByteSize.parse(" 2 Ki ")).isEqualTo(2048);
        assertThat(ByteSize.parse("1.5g")).isEqualTo(3L << 29);
        assertThat(ByteSize.parse("1048576")).isEqualTo(1_048_576);
        assertThat(ByteSize.parse("1t")).isEqualTo(1L << 40);
    }

    @Test
    void refusesWhatIsNotASize() {
        for (String bad : new String[] {"", "g", "64x", "-1g", "1,5g", "i"}) {
            assertThatThrownBy(() -> ByteSize.parse(bad))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("is not a size");
        }
        assertThatThrownBy(() -> ByteSize.parse("100000000p")).hasMessageContaining("larger than");
    }

    @Test
    void formatsInTheLargestReadableUnit() {
        assertThat(ByteSize.format(512L << 20)).isEqualTo("512 MiB");
        assertThat(ByteSize.format(3L << 29)).isEqualTo("1.5 GiB");
        assertThat(ByteSize.format(100)).isEqualTo("100 B");
    }

    @Test
    void staysInGibibytesAsConfigurationWritesThem() {
        assertThat(ByteSize.format(1024L << 30)).isEqualTo("1024 GiB");
        assertThat(ByteSize.format(1L << 20)).isEqualTo("1 MiB");
        assertThat(ByteSize.format(1536)).isEqualTo("1.5 KiB");
        assertThat(ByteSize.format(1_000_000_000)).isEqualTo("953.67 MiB");
        assertThat(ByteSize.format(0)).isEqualTo("0 B");
    }

    @Test
    void showsASizeOnItsOwnInTheLargestUnitAndAMessageInAtMostGiB() {
        long tib = 1L << 40;
        assertThat(ByteSize.formatInLargestUnit(64 * tib)).isEqualTo("64 TiB");
        assertThat(ByteSize.format(64 * tib)).isEqualTo("65536 GiB");
        assertThat(ByteSize.formatInLargestUnit(1536L << 20)).isEqualTo(ByteSize.format(1536L << 20));
        assertThat(ByteSize.formatInLargestUnit(0)).isEqualTo("0 B");
    }
}
