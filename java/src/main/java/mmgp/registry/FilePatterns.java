package mmgp.registry;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Which repository files a model needs: a path is taken when it matches an include pattern and no
 * exclude pattern. Globs use '/' separators on every platform: {@code *} and {@code ?} stay inside
 * one folder, {@code **} crosses folders (so {@code *.json} means top-level JSON files only).
 */
public record FilePatterns(List<String> includes, List<String> excludes) {
    public FilePatterns {
        includes = List.copyOf(includes);
        excludes = List.copyOf(excludes);
        if (includes.isEmpty()) throw new IllegalArgumentException("a model needs at least one include pattern");
    }

    public boolean matches(String path) {
        return includes.stream().anyMatch(g -> glob(g, path)) && excludes.stream().noneMatch(g -> glob(g, path));
    }

    static boolean glob(String glob, String path) {
        return toRegex(glob).matcher(path).matches();
    }

    private static Pattern toRegex(String glob) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*' && i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                // "**/" also matches no folder at all, so "**/x.json" takes a top-level x.json too.
                boolean slash = i + 2 < glob.length() && glob.charAt(i + 2) == '/';
                re.append(slash ? "(?:.*/)?" : ".*");
                i += slash ? 2 : 1;
            } else if (c == '*') {
                re.append("[^/]*");
            } else if (c == '?') {
                re.append("[^/]");
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }
}
