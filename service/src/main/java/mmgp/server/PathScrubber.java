package mmgp.server;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes the server's own file system layout from texts a client sees (a decoder's failure names
 * the file it read: {@code /srv/data/jobs/<id>/input.mp4}). A job's files keep their bare names
 * ("input.mp4"); other paths under the data folder or the system temp folder become "…".
 */
final class PathScrubber {
    private final Pattern jobFile;
    private final Pattern[] roots;

    PathScrubber(Path dataDir) {
        Path data = dataDir.toAbsolutePath().normalize();
        jobFile = Pattern.compile(Pattern.quote(data.resolve("jobs").toString()) + "/[0-9a-fA-F-]{36}/");
        Path temp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().normalize();
        // a path ends at white space or punctuation that rarely occurs in one (a closing bracket of the text around it)
        String rest = "[^\\s:,;'\")\\]>]*";
        roots = new Pattern[] {Pattern.compile(Pattern.quote(data.toString()) + rest), Pattern.compile(Pattern.quote(temp.toString()) + "/" + rest)};
    }

    String scrub(String text) {
        if (text == null) return null;
        String out = jobFile.matcher(text).replaceAll("");
        for (Pattern p : roots) out = p.matcher(out).replaceAll(Matcher.quoteReplacement("…"));
        return out;
    }
}
