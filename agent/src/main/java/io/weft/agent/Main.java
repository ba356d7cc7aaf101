package io.weft.agent;

public final class Main {
    public static void main(String[] args) {
        System.out.println("weftd");
    }
}
