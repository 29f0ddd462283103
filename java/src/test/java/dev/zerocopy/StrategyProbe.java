package dev.zerocopy;

/** Prints the default strategy (or why the property is wrong); run by ApiTest in a fresh JVM. */
public final class StrategyProbe {
    private StrategyProbe() {}

    public static void main(String[] args) {
        try {
            System.out.println(ZeroCopy.defaultStrategy());
        } catch (IllegalArgumentException e) {
            System.out.println("IllegalArgumentException: " + e.getMessage());
        }
    }
}
