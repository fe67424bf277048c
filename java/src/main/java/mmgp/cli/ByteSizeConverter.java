package mmgp.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** "2G", "512M", "1.5GiB", "800000000" → bytes (powers of 1024 for K/M/G/T, with or without "iB"/"B"). */
public final class ByteSizeConverter implements CommandLine.ITypeConverter<Long> {
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([KMGT]?)(?:I?B)?");

    @Override
    public Long convert(String value) {
        return parse(value);
    }

    public static long parse(String value) {
        Matcher m = SIZE.matcher(value.trim().toUpperCase(Locale.ROOT));
        if (!m.matches()) throw new IllegalArgumentException("'" + value + "' is not a size; write e.g. 2G, 512M or a number of bytes");
        int shift = switch (m.group(2)) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            case "T" -> 40;
            default -> 0;
        };
        double bytes = Double.parseDouble(m.group(1)) * (1L << shift);
        if (bytes > Long.MAX_VALUE / 2) throw new IllegalArgumentException("size '" + value + "' is too large");
        return (long) bytes;
    }
}
