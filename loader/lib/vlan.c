// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Receive VLAN tag stripping: probe and decision.  See vlan.h. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>

#include "vlan.h"

#define FEAT_CTAG_RX "rx-vlan-hw-parse"
#define FEAT_STAG_RX "rx-vlan-stag-hw-parse"

enum sw_vlan_verdict sw_vlan_decide(const struct sw_vlan_facts *f, bool allow,
				    const char *ifname, char *msg, size_t len)
{
	const char *what, *fix;

	if (!f->features_known || (!f->ctag_strip && !f->stag_strip) ||
	    f->uppers <= 0)
		return SW_VLAN_OK;
	if (f->ctag_strip && f->stag_strip) {
		what = "rx-vlan-offload and rx-vlan-stag-hw-parse on";
		fix = "rxvlan off rx-vlan-stag-hw-parse off";
	} else if (f->ctag_strip) {
		what = "rx-vlan-offload on";
		fix = "rxvlan off";
	} else {
		what = "rx-vlan-stag-hw-parse on";
		fix = "rx-vlan-stag-hw-parse off";
	}
	if (allow) {
		snprintf(
			msg, len,
			"%s strips VLAN tags before XDP (%s) and carries %s%s: "
			"SYN-ACKs to clients on a VLAN leave untagged and "
			"their "
			"handshakes fail (--allow-vlan-offload: going on)",
			ifname, what, f->upper,
			f->uppers > 1 ? " and other VLANs" : "");
		return SW_VLAN_OVERRIDDEN;
	}
	snprintf(msg, len,
		 "%s strips VLAN tags before XDP (%s) and carries %s%s: "
		 "synwall's XDP_TX SYN-ACKs would leave untagged, on the wrong "
		 "VLAN; fix: ethtool -K %s %s (or --allow-vlan-offload if no "
		 "protected port is reached over a VLAN)",
		 ifname, what, f->upper,
		 f->uppers > 1 ? " and other VLANs" : "", ifname, fix);
	return SW_VLAN_REFUSE;
}

/* ---- ethtool: the active features ------------------------------------ */

static int ethtool(int fd, const char *ifname, void *cmd)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = cmd;
	return ioctl(fd, SIOCETHTOOL, &ifr) < 0 ? -errno : 0;
}

static int probe_features(const char *ifname, struct sw_vlan_facts *f)
{
	struct ethtool_sset_info *ss = NULL;
	struct ethtool_gstrings *names = NULL;
	struct ethtool_gfeatures *feat = NULL;
	__u32 n, i, blocks;
	int fd, err;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ss = calloc(1, sizeof(*ss) + sizeof(__u32));
	if (!ss) {
		err = -ENOMEM;
		goto out;
	}
	ss->cmd = ETHTOOL_GSSET_INFO;
	ss->sset_mask = 1ULL << ETH_SS_FEATURES;
	err = ethtool(fd, ifname, ss);
	if (err)
		goto out;
	if (!(ss->sset_mask & (1ULL << ETH_SS_FEATURES))) {
		err = -EOPNOTSUPP;
		goto out;
	}
	n = ss->data[0];
	names = calloc(1, sizeof(*names) + (size_t)n * ETH_GSTRING_LEN);
	blocks = (n + 31) / 32;
	feat = calloc(1, sizeof(*feat) + blocks * sizeof(feat->features[0]));
	if (!names || !feat) {
		err = -ENOMEM;
		goto out;
	}
	names->cmd = ETHTOOL_GSTRINGS;
	names->string_set = ETH_SS_FEATURES;
	names->len = n;
	err = ethtool(fd, ifname, names);
	if (err)
		goto out;
	feat->cmd = ETHTOOL_GFEATURES;
	feat->size = blocks;
	err = ethtool(fd, ifname, feat);
	if (err)
		goto out;
	for (i = 0; i < n; i++) {
		const char *name =
			(const char *)names->data + (size_t)i * ETH_GSTRING_LEN;
		bool on = feat->features[i / 32].active & (1u << (i % 32));

		if (!strncmp(name, FEAT_CTAG_RX, ETH_GSTRING_LEN))
			f->ctag_strip = on;
		else if (!strncmp(name, FEAT_STAG_RX, ETH_GSTRING_LEN))
			f->stag_strip = on;
	}
	f->features_known = true;
out:
	free(ss);
	free(names);
	free(feat);
	close(fd);
	return err;
}

/* ---- rtnetlink: VLAN devices whose lower device is ifindex ---------- */

/* Is this RTM_NEWLINK a VLAN device on top of ifindex?  name: its name. */
static bool is_vlan_upper(struct nlmsghdr *nh, int ifindex, const char **name)
{
	struct ifinfomsg *ifi = NLMSG_DATA(nh);
	int len = (int)nh->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));
	struct rtattr *a, *b;
	bool link = false, vlan = false;
	int blen;

	*name = NULL;
	for (a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		switch (a->rta_type) {
		case IFLA_IFNAME:
			*name = RTA_DATA(a);
			break;
		case IFLA_LINK:
			link = *(__u32 *)RTA_DATA(a) == (__u32)ifindex;
			break;
		case IFLA_LINKINFO:
			blen = (int)RTA_PAYLOAD(a);
			for (b = RTA_DATA(a); RTA_OK(b, blen);
			     b = RTA_NEXT(b, blen))
				if (b->rta_type == IFLA_INFO_KIND &&
				    !strncmp(RTA_DATA(b), "vlan",
					     RTA_PAYLOAD(b)))
					vlan = true;
			break;
		}
	}
	return link && vlan && ifi->ifi_index != ifindex;
}

static int probe_uppers(int ifindex, struct sw_vlan_facts *f)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req;
	static char buf[32768];
	struct nlmsghdr *nh;
	const char *name;
	int fd, n, count = 0, err = 0;
	bool done = false;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = RTM_GETLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = 1;
	req.ifi.ifi_family = AF_UNSPEC;
	if (send(fd, &req, sizeof(req), 0) < 0) {
		err = -errno;
		goto out;
	}
	while (!done) {
		n = (int)recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			err = -errno;
			goto out;
		}
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (__u32)n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (nh->nlmsg_type == NLMSG_ERROR) {
				err = -EIO;
				goto out;
			}
			if (nh->nlmsg_type != RTM_NEWLINK ||
			    !is_vlan_upper(nh, ifindex, &name))
				continue;
			if (!count++ && name)
				snprintf(f->upper, sizeof(f->upper), "%s",
					 name);
		}
	}
	f->uppers = count;
out:
	close(fd);
	return err;
}

int sw_vlan_probe(const char *ifname, int ifindex, struct sw_vlan_facts *f)
{
	int e1, e2;

	memset(f, 0, sizeof(*f));
	f->uppers = -1;
	e1 = probe_features(ifname, f);
	e2 = probe_uppers(ifindex, f);
	return e1 && e2 ? e1 : 0;
}
