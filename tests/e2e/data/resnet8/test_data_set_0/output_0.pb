
BoutputJ(F	8Ùs¬<º¾z>â>	<×VO<¾P>>u»>=§;Í>>s¥<