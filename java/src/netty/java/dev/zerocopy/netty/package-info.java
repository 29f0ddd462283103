/**
 * zerocopy-nio for Netty: {@link dev.zerocopy.netty.ZeroCopyFileRegion}, a {@code FileRegion} sent
 * by the strategy of your choice on Netty's NIO and epoll transports (artifact
 * {@code dev.zerocopy:zerocopy-nio-netty}, with Netty as a provided dependency).
 */
package dev.zerocopy.netty;
