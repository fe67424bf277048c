package mmgp.bench.e2e;

/** "1 step", "8 steps": labels that end up in the README read as English. */
final class Plural {
    private Plural() {}

    static String of(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
