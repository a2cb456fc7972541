package decode

import (
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Layer types of portlens's own decoding layers: link layers and tunnels
// that gopacket has no DecodingLayer for, or decodes more strictly than
// Wireshark does. Numbers above gopacket's reserved range.
var (
	// Ethernet keeps gopacket's type: VXLAN and Geneve name it as their payload.
	layerEther      = layers.LayerTypeEthernet
	layerVLAN       = register(2002, "802.1Q (portlens)")
	layerLLC        = register(2003, "LLC/SNAP")
	layerPBB        = register(2004, "802.1ah")
	layerVNTag      = register(2005, "VN-Tag")
	layerCFP        = register(2006, "Cisco FabricPath")
	layerMPLS       = register(2007, "MPLS (portlens)")
	layerPPPoE      = register(2008, "PPPoE session")
	layerPPP        = register(2009, "PPP (portlens)")
	layerSLL        = register(2010, "Linux SLL (portlens)")
	layerSLL2       = register(2011, "Linux SLL2 (portlens)")
	layerNull       = register(2012, "BSD loopback (portlens)")
	layerNFLOG      = register(2013, "NFLOG")
	layerARCNET     = register(2014, "ARCNET")
	layerARCNETBSD  = register(2015, "ARCNET (BSD)")
	layerFDDI       = register(2016, "FDDI")
	layerIPoIB      = register(2017, "IP over InfiniBand")
	layerJuniper    = register(2018, "Juniper")
	layerGRE        = register(2019, "GRE (portlens)")
	layerWLAN       = register(2020, "802.11 data")
	layerGTPU       = register(2021, "GTP-U")
	layerAYIYA      = register(2022, "AYIYA")
	layerSFlow      = register(2023, "sFlow")
	layerTeredo     = register(2024, "Teredo")
	layerERSPAN     = register(2025, "ERSPAN")
	layerCHDLC      = register(2026, "Cisco HDLC")
	layerIPByNibble = register(2027, "IP (version from the first nibble)")
	layerETag       = register(2028, "802.1BR E-Tag")
)

func register(num int, name string) gopacket.LayerType {
	return gopacket.RegisterLayerType(num, gopacket.LayerTypeMetadata{Name: name})
}

// etherTypeLayer maps an EtherType (also used by SLL, GRE, SNAP, PBB...)
// to the layer that decodes what follows.
func etherTypeLayer(t uint16) gopacket.LayerType {
	switch t {
	case 0x0800:
		return layers.LayerTypeIPv4
	case 0x86dd:
		return layers.LayerTypeIPv6
	case 0x8100, 0x88a8, 0x9100, 0x9200:
		return layerVLAN
	case 0x88e7:
		return layerPBB
	case 0x8926:
		return layerVNTag
	case 0x893f:
		return layerETag
	case 0x8903:
		return layerCFP
	case 0x8847, 0x8848:
		return layerMPLS
	case 0x8864:
		return layerPPPoE
	case 0x6558:
		return layerEther
	}
	return gopacket.LayerTypeZero
}

// ipProtocolLayer maps an IP protocol number to its layer.
func ipProtocolLayer(p layers.IPProtocol) gopacket.LayerType {
	switch p {
	case layers.IPProtocolGRE:
		return layerGRE
	case layers.IPProtocolMPLSInIP:
		return layerMPLS
	case layers.IPProtocolIPv4:
		return layers.LayerTypeIPv4
	}
	return p.LayerType()
}

// udpPortLayer maps the well-known UDP ports of tunnels Wireshark decodes
// by default to their layers.
func udpPortLayer(src, dst uint16) gopacket.LayerType {
	for _, port := range [2]uint16{dst, src} {
		switch port {
		case 4789:
			return layers.LayerTypeVXLAN
		case 6081:
			return layers.LayerTypeGeneve
		case 2152:
			return layerGTPU
		case 4754:
			return layerGRE
		case 5072:
			return layerAYIYA
		case 6343:
			return layerSFlow
		case 3544:
			return layerTeredo
		}
	}
	return gopacket.LayerTypeZero
}

// byNibble picks IPv4 or IPv6 from the version nibble of data.
func byNibble(data []byte) gopacket.LayerType {
	if len(data) == 0 {
		return gopacket.LayerTypeZero
	}
	switch data[0] >> 4 {
	case 4:
		return layers.LayerTypeIPv4
	case 6:
		return layers.LayerTypeIPv6
	}
	return gopacket.LayerTypeZero
}
